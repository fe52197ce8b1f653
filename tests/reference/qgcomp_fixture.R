# Reference values from the R package qgcomp for osteometals.stats.qgcomp.
#
# qgcomp is not in Debian, so CI cannot run this script: its outputs are committed
# and tests/test_qgcomp.py reads them. It only calls library(qgcomp) (installed here
# from its released source into a private library) on the simulated data written by
# tests/reference/qgcomp_glm_fixture.R (no real participant rows).
#
# Run from the repository root (qgcomp in R_LIBS):
#     R_LIBS=/path/to/rlib Rscript tests/reference/qgcomp_fixture.R
#
# Writes, beside this script:
#   qgcomp_fixture_scores.csv   quantize(data, expnms, q = 4)$data scores
#   qgcomp_fixture_results.csv  qgcomp.noboot / qgcomp.boot: psi, SE, CI, p
#   qgcomp_fixture_weights.csv  noboot scaled effect sizes (pos / neg weights, psi, size)
#   qgcomp_fixture_expected.csv qgcomp.boot g-computation means E[Y^a] by level a
# The versions of R and qgcomp are in the header of each CSV.
#
# Bootstrap fits use B = 1000 and a fixed seed; qgcomp's replicates cannot be
# reproduced outside R (its resampling uses R's RNG), so the Python tests compare
# point estimates exactly and bootstrap SEs within Monte Carlo error.

suppressPackageStartupMessages(library(qgcomp))

here <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
d <- read.csv(file.path(here, "qgcomp_glm_fixture_data.csv"))
d$g <- factor(d$g, levels = c("a", "b", "c"))
expnms <- c("x1", "x2", "x3", "x4", "x5")
raw <- d[, c(expnms, "z", "g", "y", "ybin")]
B <- 1000
fmt <- function(x) sprintf("%.17g", x)

qz <- quantize(raw, expnms, q = 4)
scores <- qz$data[, expnms]

rows <- list()
show <- function(label, fit) {
  ci <- fit$ci
  if (is.null(dim(ci))) ci <- matrix(ci, nrow = 1)
  k <- length(fit$psi)
  se <- sqrt(fit$var.psi)
  pv <- fit$pval[length(fit$pval) - k + seq_len(k)]
  rows[[length(rows) + 1]] <<- data.frame(
    label = label, term = paste0("psi", seq_len(k)), estimate = fmt(fit$psi),
    se = fmt(se), ci_lower = fmt(ci[, 1]), ci_upper = fmt(ci[, 2]), p = fmt(pv),
    bootstrap = fit$bootstrap, degree = if (is.null(fit$degree)) 1 else fit$degree,
    msm_link = if (isTRUE(fit$bootstrap)) fit$msmfit$family$link else NA, B = if
      (isTRUE(fit$bootstrap)) ncol(fit$bootsamps) else NA)
}
expected <- list()
keep_expected <- function(label, fit) {
  m <- tapply(fit$y.expected, fit$index, mean)
  expected[[length(expected) + 1]] <<- data.frame(label = label,
                                                  level = as.numeric(names(m)),
                                                  mean = fmt(as.numeric(m)))
}

f_lin <- y ~ x1 + x2 + x3 + x4 + x5 + z + g
f_bin <- ybin ~ x1 + x2 + x3 + x4 + x5 + z + g
f_quad <- y ~ x1 + x2 + x3 + x4 + x5 + I(x1^2) + z + g

g_nb <- qgcomp.noboot(f_lin, data = raw, expnms = expnms, q = 4, family = gaussian())
show("gaussian noboot", g_nb)
b_nb <- qgcomp.noboot(f_bin, data = raw, expnms = expnms, q = 4, family = binomial())
show("binomial noboot", b_nb)

boots <- list(
  list("gaussian boot", f_lin, gaussian(), TRUE, 1, 101),
  list("binomial boot rr=FALSE", f_bin, binomial(), FALSE, 1, 102),
  list("binomial boot rr=TRUE", f_bin, binomial(), TRUE, 1, 103),
  list("binomial boot rr=TRUE degree=2", f_bin, binomial(), TRUE, 2, 104),
  list("gaussian boot degree=2 x1^2", f_quad, gaussian(), TRUE, 2, 105)
)
for (a in boots) {
  fit <- qgcomp.boot(a[[2]], data = raw, expnms = expnms, q = 4, family = a[[3]],
                     rr = a[[4]], degree = a[[5]], B = B, seed = a[[6]])
  show(a[[1]], fit)
  keep_expected(a[[1]], fit)
}

noboots <- list("gaussian noboot" = g_nb, "binomial noboot" = b_nb)
wrows <- do.call(rbind, lapply(names(noboots), function(label) {
  fit <- noboots[[label]]
  rbind(
    data.frame(label = label, exposure = names(fit$pos.weights), direction = "positive",
               weight = fmt(fit$pos.weights)),
    data.frame(label = label, exposure = names(fit$neg.weights), direction = "negative",
               weight = fmt(fit$neg.weights)),
    data.frame(label = label, exposure = c("(psi)", "(psi)", "(size)", "(size)"),
               direction = c("positive", "negative", "positive", "negative"),
               weight = fmt(c(fit$pos.psi, fit$neg.psi, fit$pos.size, fit$neg.size))))
}))

header <- c(
  sprintf("# Written by tests/reference/qgcomp_fixture.R with %s, qgcomp %s",
          R.version.string, as.character(packageVersion("qgcomp"))),
  "# data: tests/reference/qgcomp_glm_fixture_data.csv; q = 4; bootstrap B = 1000"
)
write_with_header <- function(df, name) {
  path <- file.path(here, name)
  writeLines(header, path)
  suppressWarnings(write.table(df, path, sep = ",", row.names = FALSE, append = TRUE,
                               quote = TRUE))
}
write_with_header(scores, "qgcomp_fixture_scores.csv")
write_with_header(do.call(rbind, rows), "qgcomp_fixture_results.csv")
write_with_header(wrows, "qgcomp_fixture_weights.csv")
write_with_header(do.call(rbind, expected), "qgcomp_fixture_expected.csv")
cat("wrote", length(rows), "fits\n")
