# Reference values for the conditional quantile g-computation estimator
# (osteometals.stats.qgcomp.qgcomp_noboot), from base R glm() and R survey only:
# psi is the sum of the quantized exposures' coefficients and its variance 1' V 1
# (Keil et al. 2020, Environ Health Perspect 128:047004; qgcomp.glm.noboot).
# No qgcomp needed: this script runs live in CI (tests/test_qgcomp.py).
#
# Run from the repository root:
#     Rscript tests/reference/qgcomp_glm_fixture.R [output folder]
#
# Writes (beside this script unless a folder is given):
#   qgcomp_glm_fixture_data.csv     simulated data (set.seed; no real participant rows)
#                                   with R's quantile scores x1_q .. x5_q
#   qgcomp_glm_fixture_results.csv  psi (and the intercept): estimate, SE, 95% CI, p, df
#   qgcomp_glm_fixture_weights.csv  partial effects: coefficient, direction, scaled weight
#
# Conventions (those of osteometals.stats.qgcomp):
#   * scores: quantile(type = 7) at 0, 1/4, ..., 1; unique(); the first and last break
#     replaced by -Inf / Inf; cut(right = TRUE, include.lowest = TRUE) - 1 (as qgcomp's
#     quantize and gWQS). x5 has 40% of its values tied at a detection limit, so its
#     lower cut-points merge and it gets 3 groups;
#   * unweighted: glm(); CI and p from the normal (binomial) or t on df.residual
#     (gaussian);
#   * survey-weighted: svyglm() on the design, psi by svycontrast(), t on
#     df.residual (R's convention) and on degf(design) (PSUs - strata).

suppressMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
here <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
out <- if (length(args)) args[1] else here

set.seed(20260517)
n <- 600
q <- 4
expnms <- c("x1", "x2", "x3", "x4", "x5")
lat <- rnorm(n)
X <- sapply(1:5, function(j) exp(0.6 * lat + 0.8 * rnorm(n)))
colnames(X) <- expnms
lod <- quantile(X[, "x5"], 0.4)
X[X[, "x5"] < lod, "x5"] <- lod  # 40% at the detection limit
d <- data.frame(round(X, 6))
d$z <- round(rnorm(n), 6)
d$g <- sample(c("a", "b", "c"), n, TRUE, prob = c(0.5, 0.3, 0.2))
# design: 15 strata x 2 PSUs, unequal weights
d$stratum <- rep(1:15, each = 40)
d$psu <- rep(rep(1:2, each = 20), 15)
d$weight <- round(rlnorm(n, 8, 0.6), 2)

score <- function(x, q) {
  b <- unique(quantile(x, probs = seq(0, 1, by = 1 / q), type = 7, na.rm = TRUE))
  b[1] <- -Inf
  b[length(b)] <- Inf
  as.numeric(cut(x, breaks = b, labels = FALSE, right = TRUE, include.lowest = TRUE)) - 1
}
for (x in expnms) d[[paste0(x, "_q")]] <- score(d[[x]], q)
qn <- paste0(expnms, "_q")

beta <- c(0.30, 0.20, 0.10, -0.15, -0.05)  # per-quantile effects, both directions
lin <- as.vector(as.matrix(d[, qn]) %*% beta) + 0.4 * d$z + 0.3 * (d$g == "b") -
  0.3 * (d$g == "c")
d$y <- round(1 + lin + rnorm(n), 6)
d$ybin <- rbinom(n, 1, plogis(-1.2 + lin))
write.csv(d, file.path(out, "qgcomp_glm_fixture_data.csv"), row.names = FALSE)
d <- read.csv(file.path(out, "qgcomp_glm_fixture_data.csv"))
d$g <- factor(d$g, levels = c("a", "b", "c"))

fmt <- function(x) sprintf("%.17g", x)
rhs <- paste(c(qn, "z", "g"), collapse = " + ")
ctrl <- glm.control(epsilon = 1e-12, maxit = 100)
rows <- list()
wrows <- list()
add <- function(label, est, V, b0, vb0, cb0, df, nobs) {
  se <- sqrt(V)
  crit <- if (is.finite(df)) qt(0.975, df) else qnorm(0.975)
  pv <- if (is.finite(df)) 2 * pt(-abs(est / se), df) else 2 * pnorm(-abs(est / se))
  rows[[length(rows) + 1]] <<- data.frame(
    label = label, term = c("(Intercept)", "psi1"), estimate = fmt(c(b0, est)),
    se = fmt(sqrt(c(vb0, V))), ci_lower = fmt(c(b0, est) - crit * sqrt(c(vb0, V))),
    ci_upper = fmt(c(b0, est) + crit * sqrt(c(vb0, V))),
    p = fmt(c(if (is.finite(df)) 2 * pt(-abs(b0 / sqrt(vb0)), df)
              else 2 * pnorm(-abs(b0 / sqrt(vb0))), pv)),
    cov_intercept_psi = fmt(cb0), df = df, n = nobs)
}
weights_of <- function(label, cf) {
  dirn <- ifelse(cf > 0, "positive", "negative")
  size <- tapply(abs(cf), dirn, sum)
  wrows[[length(wrows) + 1]] <<- data.frame(
    label = label, exposure = sub("_q$", "", names(cf)), coefficient = fmt(cf),
    direction = dirn, weight = fmt(abs(cf) / size[dirn]))
}

for (fam in c("gaussian", "binomial")) {
  yv <- if (fam == "gaussian") "y" else "ybin"
  f <- glm(as.formula(paste(yv, "~", rhs)), data = d, family = fam, control = ctrl)
  V <- vcov(f)
  cf <- coef(f)[qn]
  df <- if (fam == "gaussian") f$df.residual else Inf
  add(paste(fam, "unweighted"), sum(cf), sum(V[qn, qn]), coef(f)[1], V[1, 1],
      sum(V[1, qn]), df, nobs(f))
  weights_of(paste(fam, "unweighted"), cf)

  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
  sf <- svyglm(as.formula(paste(yv, "~", rhs)), design = des,
               family = if (fam == "gaussian") gaussian() else quasibinomial(),
               control = ctrl)
  con <- svycontrast(sf, setNames(rep(1, length(qn)), qn))
  Vs <- vcov(sf)
  for (conv in c("r_survey", "psu_minus_strata")) {
    dfs <- if (conv == "r_survey") sf$df.residual else degf(des)
    add(paste(fam, "survey", conv), as.numeric(coef(con)), as.numeric(vcov(con)),
        coef(sf)[1], Vs[1, 1], sum(Vs[1, qn]), dfs, nrow(model.frame(sf)))
  }
  weights_of(paste(fam, "survey"), coef(sf)[qn])
}

header <- c(
  sprintf("# Written by tests/reference/qgcomp_glm_fixture.R with %s, survey %s",
          R.version.string, as.character(packageVersion("survey"))),
  "# psi = sum of the quantized exposures' coefficients; Var = 1' V 1 (base R glm / svyglm)"
)
write_with_header <- function(df, name) {
  path <- file.path(out, name)
  writeLines(header, path)
  suppressWarnings(write.table(df, path, sep = ",", row.names = FALSE, append = TRUE,
                               quote = TRUE))
}
write_with_header(do.call(rbind, rows), "qgcomp_glm_fixture_results.csv")
write_with_header(do.call(rbind, wrows), "qgcomp_glm_fixture_weights.csv")
cat("wrote", length(rows), "fits\n")
