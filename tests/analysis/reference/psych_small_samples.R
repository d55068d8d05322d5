# Regenerates tests/analysis/reference/psych_small_samples.json: R psych reference numbers for
# the small-sample cases of issue 10 — Heywood / ultra-Heywood one-factor fits behind omega
# total, alpha on n = 2..4 respondents, and psych's negative-item warning.
#
# Usage (from the repository root):
#   Rscript tests/analysis/reference/psych_small_samples.R [OUT_JSON]
#
# Produced with R 4.2.2, psych 2.2.9, GPArotation 2022.10.2, jsonlite 1.8.4 (Debian bookworm).
# The data sets are generated here (fixed seeds) and written into the JSON with psych's
# results, so the Python tests read the very same numbers psych saw. Nothing is copied from the
# Python code.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out_json <- if (length(args) >= 1) args[[1]] else
  file.path("tests", "analysis", "reference", "psych_small_samples.json")

num <- function(v) unname(as.numeric(v))

# Run expr, collecting warnings and cat() output instead of printing them.
collect <- function(expr) {
  warns <- character(0)
  out <- NULL
  printed <- capture.output(
    out <- withCallingHandlers(
      suppressMessages(expr),
      warning = function(w) {
        warns <<- c(warns, conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    )
  )
  list(value = out, warnings = unique(warns), printed = paste(printed, collapse = "\n"))
}

# psych's minres criterion run to convergence, in plain R: psych's fa(fm = "minres") optimises
# the uniquenesses psi in [0.005, 1] with L-BFGS-B on the gradient diag(L L' + Psi - R), L the
# first principal axis of R - diag(psi) (its FAgr.minres and FAout.wls). That gradient is not
# the gradient of psych's objective, so in Heywood cases optim stops where its line search
# fails, before the gradient vanishes (restarting optim does not move it). The point it is
# heading for - the free psi_i with psi_i = 1 - L_i^2, the others at the bound 0.005 - is
# found here by iterating psi <- clip(1 - L^2, 0.005, 1) (bounded principal axis) to a fixed
# point.
converged_minres <- function(r, lower = 0.005, tol = 1e-15, max_iter = 1e6) {
  axis <- function(psi) {
    e <- eigen(r - diag(psi), symmetric = TRUE)
    l <- e$vectors[, 1] * sqrt(max(e$values[1], 0))
    if (sum(l) < 0) -l else l
  }
  psi <- diag(r) - smc(r)
  for (i in seq_len(max_iter)) {
    new <- pmin(pmax(1 - axis(psi)^2, lower), 1)
    step <- max(abs(new - psi))
    psi <- new
    if (step < tol) break
  }
  l <- axis(psi)
  list(iterations = i, psi = psi, loadings = l,
       gradient_free = max(abs((l^2 + psi - 1)[psi > lower])),
       omega_tot = (sum(r) - sum(1 - l^2)) / sum(r))
}

omega_case <- function(x) {
  x <- as.data.frame(x)
  colnames(x) <- paste0("q", seq_len(ncol(x)))
  om <- collect(omega(x, nfactors = 1, plot = FALSE))
  sl <- om$value$schmid$sl
  list(
    data = unname(as.matrix(x)),
    items = colnames(x),
    omega_tot = num(om$value$omega.tot),
    alpha = num(om$value$alpha),
    g6 = num(om$value$G6),
    loadings = num(sl[, 1]),
    u2 = num(sl[, "u2"]),
    ultra_heywood_warning = any(grepl("ultra-Heywood", om$warnings)),
    warnings = om$warnings,
    converged = converged_minres(cor(x))
  )
}

# ---- 1. a 5 x 3 set whose first loading goes past 1 --------------------------------------
heywood_5x3 <- matrix(c(4, 2, 4,
                        4, 5, 1,
                        4, 5, 5,
                        2, 1, 2,
                        3, 1, 2), nrow = 5, byrow = TRUE)

# ---- 2. simulated n = 30 scales (1..5 answers) with an ultra-Heywood minres fit ------------
simulate <- function(n, k, seed) {
  set.seed(seed)
  f <- rnorm(n)
  lam <- runif(k, 0.3, 0.9)
  x <- sapply(lam, function(l) l * f + sqrt(1 - l^2) * rnorm(n))
  pmin(pmax(round(3 + 1.2 * x), 1), 5)
}
heywood_sims <- list()
for (k in c(3, 4)) {
  found <- 0
  for (seed in 1:500) {
    x <- simulate(30, k, seed)
    if (any(apply(x, 2, sd) == 0)) next
    r <- cor(x)
    if (any(r[lower.tri(r)] <= 0)) next  # keys are declared: keep every item positive
    case <- omega_case(x)
    if (case$ultra_heywood_warning) {
      case$seed <- seed
      heywood_sims[[length(heywood_sims) + 1]] <- case
      found <- found + 1
      if (found >= 4) break
    }
  }
}

# ---- 2b. three items, one negative correlation, 20 rows with missing cells -----------------
# r12 r13 r23 < 0: no one-factor solution inside the bounds. Keys are declared in the project,
# so fa() is called directly (omega() would flip the negative item first).
neg_corr <- matrix(c(1, 4, 3,  3, 3, 4,  2, 2, 1,  3, NA, NA,  1, 2, 2,  5, NA, 3,  NA, 1, 3,
                     3, 3, 3,  2, 2, 3,  3, 4, 3,  4, NA, NA,  2, 4, 3,  NA, 2, 3,  2, 2, 2,
                     1, 4, 3,  3, 4, 4,  5, 2, 4,  2, 3, NA,  5, 3, 5,  4, 3, 4),
                   ncol = 3, byrow = TRUE)
neg_fa <- collect(fa(neg_corr, 1, fm = "minres"))
negative_correlation <- list(
  data = unname(neg_corr),
  correlations = unname(cor(neg_corr, use = "pairwise")),
  loadings = num(neg_fa$value$loadings[, 1]),
  ultra_heywood_warning = any(grepl("ultra-Heywood", neg_fa$warnings)),
  converged = converged_minres(cor(neg_corr, use = "pairwise"))
)

# ---- 3. alpha on 2, 3 and 4 respondents ---------------------------------------------------
alpha_case <- function(x) {
  x <- as.data.frame(x)
  colnames(x) <- paste0("q", seq_len(ncol(x)))
  a <- collect(psych::alpha(x, warnings = FALSE))$value
  tot <- a$total
  list(
    data = unname(as.matrix(x)),
    n = nrow(x),
    raw_alpha = num(tot$raw_alpha),
    ase = num(tot$ase),
    # psych prints the Duhachek limits as alpha -/+ 1.96 ase
    duhachek_low = num(tot$raw_alpha - 1.96 * tot$ase),
    duhachek_high = num(tot$raw_alpha + 1.96 * tot$ase),
    feldt_low = num(a$feldt$lower.ci),
    feldt_high = num(a$feldt$upper.ci)
  )
}
small_n <- list(
  n2 = alpha_case(matrix(c(1, 2, 1,
                           5, 5, 4), nrow = 2, byrow = TRUE)),
  n3 = alpha_case(matrix(c(1, 4, 2,
                           3, 1, 3,
                           2, 2, 5), nrow = 3, byrow = TRUE)),
  n4 = alpha_case(matrix(c(2, 3, 3, 4,
                           4, 5, 4, 5,
                           1, 2, 1, 1,
                           3, 3, 4, 4), nrow = 4, byrow = TRUE))
)

# ---- 3b. an indefinite pairwise matrix whose alpha has no standard error -------------------
# 6 rows, 3 items, missing cells: the pairwise covariance matrix is indefinite and psych's
# variance estimate Q of alpha is negative, so its ase is NaN.
no_se <- matrix(c(5, 2, 1,  4, NA, 5,  4, 2, 3,  2, 4, NA,  NA, 4, 1,  4, NA, 5),
                ncol = 3, byrow = TRUE)
no_se_alpha <- collect(psych::alpha(as.data.frame(no_se), warnings = FALSE))
se_undefined <- list(
  data = unname(no_se),
  raw_alpha = num(no_se_alpha$value$total$raw_alpha),
  ase = num(no_se_alpha$value$total$ase),
  smallest_eigenvalue = min(eigen(cov2cor(cov(no_se, use = "pairwise")))$values)
)

# ---- 4. psych's warning about an item correlating negatively with the scale ---------------
set.seed(11)
f <- rnorm(40)
neg <- data.frame(
  q1 = pmin(pmax(round(3 + f + rnorm(40, sd = 0.7)), 1), 5),
  q2 = pmin(pmax(round(3 + f + rnorm(40, sd = 0.7)), 1), 5),
  q3 = pmin(pmax(round(3 + f + rnorm(40, sd = 0.7)), 1), 5),
  q4 = pmin(pmax(round(3 - f + rnorm(40, sd = 0.7)), 1), 5)
)
neg_run <- collect(psych::alpha(neg))
pc <- principal(neg, scores = FALSE)
negative_item <- list(
  data = unname(as.matrix(neg)),
  items = colnames(neg),
  raw_alpha = num(neg_run$value$total$raw_alpha),
  pc1_loadings = num(pc$loadings[, 1]),
  negative_items = colnames(neg)[num(pc$loadings[, 1]) < 0],
  warnings = neg_run$warnings,
  printed = neg_run$printed
)

out <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))),
  heywood_5x3 = omega_case(heywood_5x3),
  heywood_sims = heywood_sims,
  negative_correlation = negative_correlation,
  small_n = small_n,
  se_undefined = se_undefined,
  negative_item = negative_item
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_json)
