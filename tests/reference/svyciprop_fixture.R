# Reference values for osteometals.nhanes.bone_validation.prevalence, computed with
# R's survey package: svyciprop(method = "logit") (the CI) and svymean (the SE).
#
# Run from the repository root:
#     Rscript tests/reference/svyciprop_fixture.R
#
# Reads the synthetic survey data of svyglm_fixture.R (svyglm_fixture_data.csv: no
# real participant rows) and writes, beside this script, svyciprop_fixture_results.csv:
# for the whole design and for the domain `dom == 1` (through subset() on the design,
# never by dropping rows), the proportion of y, its svymean SE and the 95% logit CI.

suppressMessages(library(survey))

here <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})

d <- read.csv(file.path(here, "svyglm_fixture_data.csv"))
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
fmt <- function(x) sprintf("%.15g", x)
one <- function(name, design) {
  p <- svyciprop(~y, design, method = "logit", level = 0.95)
  m <- svymean(~y, design)
  ci <- attr(p, "ci")
  data.frame(case = name, estimate = fmt(as.numeric(p)), se = fmt(as.numeric(SE(m))),
             ci_lower = fmt(ci[[1]]), ci_upper = fmt(ci[[2]]), df = degf(design))
}
res <- rbind(one("all", des), one("domain", subset(des, dom == 1)))
path <- file.path(here, "svyciprop_fixture_results.csv")
writeLines(sprintf("# Written by tests/reference/svyciprop_fixture.R with %s, survey %s",
                   R.version.string, as.character(packageVersion("survey"))), path)
suppressWarnings(write.table(res, path, sep = ",", row.names = FALSE, append = TRUE,
                             quote = TRUE))
cat("wrote", nrow(res), "rows\n")
