# Reference values for osteometals.stats.survey, computed with R's survey package.
#
# Run from the repository root:
#     Rscript tests/reference/svyglm_fixture.R
#
# Writes, beside this script:
#   svyglm_fixture_data.csv     synthetic survey data (set.seed; no real participant rows)
#   svyglm_fixture_results.csv  coefficients, SEs, t-based p-values, 95% CIs, residual df
#   svyglm_fixture_wald.csv     regTermTest (default method "Wald": F test on df.residual)
#   svyglm_fixture_deff.csv     design effects, svyglm(deff = TRUE)
#   svyglm_fixture_psu_minus_strata.csv
#                               the same fits with the design df as denominator df
#                               (SUDAAN/SAS/Stata convention, PSUs - strata):
#                               summary(fit, df.resid = degf), confint(fit, ddf = degf),
#                               regTermTest(fit, ~g, df = degf)
# plus ordinary glm() fits (unweighted, model-based SEs) for the unweighted path.
#
# Design of the fixture (chosen to exercise every branch of the variance):
#   * 14 strata with 2 PSUs and one stratum with 3 PSUs (n_h / (n_h - 1) differs);
#   * unequal weights; PSU numbers repeat across strata (nest = TRUE, as NHANES);
#   * a covariate with missing values (svyglm drops those rows but keeps the design);
#   * a domain `dom` that leaves some PSUs and one whole stratum empty, fitted through
#     subset() on the design (never by dropping rows before svydesign);
#   * a second design `lonely` in which stratum 1 has a single PSU, fitted under
#     options(survey.lonely.psu = "adjust") and "certainty".
# glm.control(epsilon = 1e-12) so the reference is converged well beyond 1e-6.

suppressMessages(library(survey))

here <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})

set.seed(20250314)
n_strata <- 15
psu_per_stratum <- c(rep(2, n_strata - 1), 3)
rows <- list()
for (h in seq_len(n_strata)) {
  for (k in seq_len(psu_per_stratum[h])) {
    m <- sample(12:28, 1)
    psu_effect <- rnorm(1, 0, 0.5)
    rows[[length(rows) + 1]] <- data.frame(
      stratum = h, psu = k, psu_effect = psu_effect,
      x = rnorm(m, mean = psu_effect), g = sample(c("a", "b", "c"), m, TRUE,
                                                   prob = c(0.4, 0.35, 0.25)),
      z = rbinom(m, 1, 0.4), weight = round(rlnorm(m, 8, 0.6), 2)
    )
  }
}
d <- do.call(rbind, rows)
d$g <- factor(d$g, levels = c("a", "b", "c"))
eta <- -0.8 + 0.6 * d$x + 0.5 * (d$g == "b") - 0.7 * (d$g == "c") + 0.4 * d$z +
  d$psu_effect
d$y <- rbinom(nrow(d), 1, plogis(eta))
d$yc <- 1 + 0.3 * d$x - 0.2 * (d$g == "c") + 0.25 * d$z + d$psu_effect +
  rnorm(nrow(d), 0, 0.8)
d$psu_effect <- NULL
d$x[sample(nrow(d), 15)] <- NA
# domain: half the strata entirely in, the rest by a covariate; stratum 15 entirely out
d$dom <- as.integer((d$stratum %% 2 == 0 | d$z == 1) & d$stratum != 15)
d$dom[d$stratum == 3 & d$psu == 1] <- 0L  # a PSU with no domain members
# lonely-PSU design: stratum 1 merged into one PSU
d$psu_lonely <- ifelse(d$stratum == 1, 1L, d$psu)
d$x <- round(d$x, 6)
d$yc <- round(d$yc, 6)

write.csv(d, file.path(here, "svyglm_fixture_data.csv"), row.names = FALSE)
d <- read.csv(file.path(here, "svyglm_fixture_data.csv"))
d$g <- factor(d$g, levels = c("a", "b", "c"))

des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
des_lonely <- svydesign(ids = ~psu_lonely, strata = ~stratum, weights = ~weight,
                        nest = TRUE, data = d)
ctrl <- glm.control(epsilon = 1e-12, maxit = 100)
fam_bin <- quasibinomial()

fmt <- function(x) sprintf("%.17g", x)
# every summary is taken under the lonely-PSU option its model was fitted with
tidy_fit <- function(nm, formula, design, family = gaussian(), lonely = "fail") {
  old <- options(survey.lonely.psu = lonely)
  on.exit(options(old))
  f <- svyglm(formula, design = design, family = family, control = ctrl)
  s <- summary(f)$coefficients
  ci <- confint(f, level = 0.95)
  list(fit = f, table = data.frame(
    model = nm, term = rownames(s), estimate = fmt(s[, 1]), se = fmt(s[, 2]),
    p = fmt(s[, 4]), ci_lower = fmt(ci[, 1]), ci_upper = fmt(ci[, 2]),
    df = f$df.residual, n = nrow(model.frame(f)), degf = degf(f$survey.design)))
}
dom_des <- subset(des, dom == 1)
fits <- list(
  tidy_fit("logistic", y ~ x + g + z, des, fam_bin),
  tidy_fit("gaussian", yc ~ x + g + z, des),
  tidy_fit("logistic_domain", y ~ x + g + z, dom_des, fam_bin),
  tidy_fit("gaussian_domain", yc ~ x + g + z, dom_des),
  tidy_fit("logistic_lonely_adjust", y ~ x + g + z, des_lonely, fam_bin, "adjust"),
  tidy_fit("logistic_lonely_certainty", y ~ x + g + z, des_lonely, fam_bin, "certainty")
)
names(fits) <- vapply(fits, function(f) f$table$model[1], "")
res <- do.call(rbind, lapply(fits, `[[`, "table"))

# Ordinary (unweighted, model-based) glm: z tests for binomial, t on n - p for gaussian
tidy_glm <- function(nm, formula, family) {
  f <- glm(formula, data = d, family = family, control = ctrl)
  s <- summary(f)$coefficients
  q <- if (family$family == "binomial") qnorm(0.975) else qt(0.975, f$df.residual)
  data.frame(model = nm, term = rownames(s), estimate = fmt(s[, 1]), se = fmt(s[, 2]),
             p = fmt(s[, 4]), ci_lower = fmt(s[, 1] - q * s[, 2]),
             ci_upper = fmt(s[, 1] + q * s[, 2]),
             df = if (family$family == "binomial") Inf else f$df.residual,
             n = nrow(model.frame(f)), degf = NA)
}
res <- rbind(res, tidy_glm("logistic_unweighted", y ~ x + g + z, binomial()),
             tidy_glm("gaussian_unweighted", yc ~ x + g + z, gaussian()))

# Design effects, svyglm(deff = TRUE): design variance over weighted-SRS variance
deff <- do.call(rbind, list(
  list("logistic", y ~ x + g + z, binomial(), des),
  list("gaussian", yc ~ x + g + z, gaussian(), des),
  list("logistic_domain", y ~ x + g + z, binomial(), dom_des)
) |> lapply(function(a) {
  f <- suppressWarnings(svyglm(a[[2]], design = a[[4]], family = a[[3]], control = ctrl,
                               deff = TRUE))
  data.frame(model = a[[1]], term = names(coef(f)), deff = fmt(diag(attr(f, "deff"))))
}))

wald <- do.call(rbind, lapply(c("logistic", "gaussian", "logistic_domain"), function(nm) {
  tt <- regTermTest(fits[[nm]]$fit, ~g)
  data.frame(model = nm, terms = "g", F = fmt(tt$Ftest), ndf = tt$df, ddf = tt$ddf,
             p = fmt(tt$p))
}))

# The design df convention (PSUs - strata, whatever the model), through R's own
# df arguments: summary.svyglm(df.resid=), confint.svyglm(ddf=), regTermTest(df=)
psu_minus_strata <- do.call(rbind, lapply(c("logistic", "gaussian", "logistic_domain"),
                                          function(nm) {
  f <- fits[[nm]]$fit
  dd <- degf(f$survey.design)
  s <- summary(f, df.resid = dd)$coefficients
  ci <- confint(f, level = 0.95, ddf = dd)
  tt <- regTermTest(f, ~g, df = dd)
  rbind(
    data.frame(model = nm, kind = "coef", term = rownames(s), estimate = fmt(s[, 1]),
               p = fmt(s[, 4]), ci_lower = fmt(ci[, 1]), ci_upper = fmt(ci[, 2]), df = dd),
    data.frame(model = nm, kind = "wald_g", term = "g", estimate = fmt(tt$Ftest),
               p = fmt(tt$p), ci_lower = NA, ci_upper = NA, df = tt$ddf))
}))

header <- c(
  sprintf("# Written by tests/reference/svyglm_fixture.R with %s, survey %s",
          R.version.string, as.character(packageVersion("survey"))),
  "# Design: svydesign(ids=~psu, strata=~stratum, weights=~weight, nest=TRUE);",
  "# logistic svyglm fits use quasibinomial() (same estimates and SEs as binomial(), no warning); deff uses binomial()"
)
write_with_header <- function(df, name) {
  path <- file.path(here, name)
  writeLines(header, path)
  suppressWarnings(write.table(df, path, sep = ",", row.names = FALSE, append = TRUE,
                               quote = TRUE))
}
write_with_header(res, "svyglm_fixture_results.csv")
write_with_header(wald, "svyglm_fixture_wald.csv")
write_with_header(deff, "svyglm_fixture_deff.csv")
write_with_header(psu_minus_strata, "svyglm_fixture_psu_minus_strata.csv")
cat("wrote", nrow(res), "coefficient rows and", nrow(wald), "Wald tests\n")
