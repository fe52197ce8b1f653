# Reference values for osteometals.stats.mi.rubin, computed with R's mitools.
#
# Run from the repository root:
#     Rscript tests/reference/mi_rubin_fixture.R
#
# Writes, beside this script:
#   mi_rubin_fixture_input.csv   m = 7 estimates and variances of 3 quantities (set.seed;
#                                made-up numbers, no data)
#   mi_rubin_fixture_output.csv  MIcombine's pooled estimate, variance, df and missing
#                                information, for complete-data df Inf, 18 and 40, and
#                                the Barnard-Rubin df written out from the paper
#
# mitools::MIcombine(results, variances, df.complete) pools by Rubin's rules.
# With a finite df.complete it uses a small-sample df, but its nu_obs takes
# 1 - lambda as vbar / (vbar + B), without the (1 + 1/m) factor of Barnard and
# Rubin (1999, Biometrika 86:948, eq. for nu_obs; lambda = (1 + 1/m) B / T), which
# mice::pool keeps. `df_barnard_rubin` is that published formula, computed here
# from MIcombine's own pieces: nu_old = (m - 1) / lambda^2,
# nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda),
# nu = 1 / (1 / nu_old + 1 / nu_obs).
# The three quantities are chosen so that the missing-information share runs
# from small to large (between-imputation spread 0.01, 0.1 and 0.3).

suppressMessages(library(mitools))

here <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})

set.seed(20251)
m <- 7
spread <- c(0.01, 0.1, 0.3)
est <- sapply(spread, function(s) 0.5 + rnorm(m, sd = s))
var <- sapply(c(0.02, 0.03, 0.05), function(v) v * exp(rnorm(m, sd = 0.1)))
input <- data.frame(imputation = rep(seq_len(m), 3), quantity = rep(1:3, each = m),
                    estimate = as.vector(est), variance = as.vector(var))
write.csv(input, file.path(here, "mi_rubin_fixture_input.csv"), row.names = FALSE)

results <- lapply(seq_len(m), function(i) setNames(est[i, ], c("q1", "q2", "q3")))
variances <- lapply(seq_len(m), function(i) diag(var[i, ]))
rows <- list()
for (dfc in c(Inf, 18, 40)) {
  fit <- MIcombine(results, variances, df.complete = dfc)
  b <- apply(est, 2, var)
  t_total <- colMeans(var) + (1 + 1 / m) * b
  lambda <- (1 + 1 / m) * b / t_total
  nu_old <- (m - 1) / lambda^2
  nu_obs <- (dfc + 1) / (dfc + 3) * dfc * (1 - lambda)
  nu_br <- if (is.finite(dfc)) 1 / (1 / nu_old + 1 / nu_obs) else nu_old
  riv <- (1 + 1 / m) * b / colMeans(var)
  rows[[length(rows) + 1]] <- data.frame(
    df_complete = dfc, quantity = 1:3, estimate = unname(coef(fit)),
    variance = unname(diag(vcov(fit))), df = unname(fit$df),
    missinfo = unname(fit$missinfo), df_barnard_rubin = nu_br,
    fmi_barnard_rubin = (riv + 2 / (nu_br + 3)) / (riv + 1))
}
out <- do.call(rbind, rows)
out$r_version <- R.version.string
out$mitools_version <- as.character(packageVersion("mitools"))
write.csv(out, file.path(here, "mi_rubin_fixture_output.csv"), row.names = FALSE)
