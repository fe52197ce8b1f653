# Reference values for osteometals.stats.bkmr.summaries, computed with R bkmr 0.2.2.
#
# Run from the repository root (bkmr is not on CRAN's Debian mirror; see the
# notes of the project on installing it into a private library):
#     R_LIBS=/path/to/rlib Rscript tests/reference/bkmr_summaries_fixture.R
#
# Simulated data only (set.seed; no real participant rows). For a Gaussian
# and a binomial (probit) fit, writes beside this script:
#   bkmr_summaries_<family>_data.csv      y, z1..z4, x1
#   bkmr_summaries_<family>_draws.csv     the posterior draws the summaries use
#                                         (iteration, r1..r4, lambda, beta, sigsq.eps,
#                                         and for binomial ystar1..ystarn)
#   bkmr_summaries_<family>_risk.csv      SingVarRiskSummaries(method = "exact")
#   bkmr_summaries_<family>_int.csv       SingVarIntSummaries(method = "exact")
#   bkmr_summaries_<family>_overall.csv   OverallRiskSummaries(method = "exact")
# All summaries use the same draws: sel = iterations 505, 510, ..., 1000 of 1000.
# "exact" combines, over those draws, the conditional mean and covariance of h at
# the new profiles by the law of total variance (bkmr's ComputePostmeanHnew);
# the Python test feeds the same draws to osteometals and compares est and sd.

suppressPackageStartupMessages(library(bkmr))
stopifnot(as.character(packageVersion("bkmr")) == "0.2.2")

# the folder of this script (outputs are written beside it)
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- if (length(script)) dirname(normalizePath(script)) else getwd()

set.seed(2025)
n <- 100
Z <- matrix(rnorm(n * 4), n, 4, dimnames = list(NULL, paste0("z", 1:4)))
X <- matrix(rnorm(n), n, 1, dimnames = list(NULL, "x1"))
h <- Z[, 1] + 0.75 * tanh(2 * Z[, 2]) + 0.5 * Z[, 1] * Z[, 2]
sel <- seq(505, 1000, by = 5)

write_fit <- function(family, y) {
  set.seed(7)
  fit <- kmbayes(y = y, Z = Z, X = X, iter = 1000, verbose = FALSE, varsel = TRUE,
                 family = family)
  pre <- file.path(here, paste0("bkmr_summaries_", family, "_"))
  write.csv(data.frame(y = y, Z, X), paste0(pre, "data.csv"), row.names = FALSE)
  draws <- data.frame(iteration = sel, r = fit$r[sel, ], lambda = fit$lambda[sel],
                      beta = fit$beta[sel], sigsq.eps = fit$sigsq.eps[sel])
  names(draws) <- c("iteration", paste0("r", 1:4), "lambda", "beta", "sigsq.eps")
  if (family == "binomial") {
    ys <- fit$ystar[sel, ]
    colnames(ys) <- paste0("ystar", seq_len(n))
    draws <- cbind(draws, ys)
  }
  write.csv(draws, paste0(pre, "draws.csv"), row.names = FALSE)
  risk <- SingVarRiskSummaries(fit, which.z = 1:4, qs.diff = c(0.25, 0.75),
                               q.fixed = c(0.25, 0.5, 0.75), method = "exact", sel = sel)
  write.csv(as.data.frame(risk), paste0(pre, "risk.csv"), row.names = FALSE)
  int <- SingVarIntSummaries(fit, which.z = 1:4, qs.diff = c(0.25, 0.75),
                             qs.fixed = c(0.25, 0.75), method = "exact", sel = sel)
  write.csv(as.data.frame(int), paste0(pre, "int.csv"), row.names = FALSE)
  ov <- OverallRiskSummaries(fit, qs = c(0.25, 0.4, 0.6, 0.75), q.fixed = 0.5,
                             method = "exact", sel = sel)
  write.csv(ov, paste0(pre, "overall.csv"), row.names = FALSE)
  cat(family, ": PIPs", round(ExtractPIPs(fit)$PIP, 3), "\n")
}

write_fit("gaussian", h + 0.5 * X[, 1] + rnorm(n))
write_fit("binomial", as.integer(h + 0.5 * X[, 1] - 0.3 + rnorm(n) > 0))
