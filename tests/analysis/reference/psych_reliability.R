# Regenerates tests/analysis/reference/psych_reliability.json: the R psych reference numbers
# for analysis/reliability.py, analysis/omega.py and analysis/splithalf.py.
#
# Usage (from the repository root):
#   Rscript tests/analysis/reference/psych_reliability.R [DATA_DIR] [OUT_JSON]
# DATA_DIR defaults to tests/data (bfi.csv and the two pingouin_*.csv files);
# OUT_JSON defaults to tests/analysis/reference/psych_reliability.json.
#
# Produced with R 4.2.2, psych 2.2.9, GPArotation 2022.10.2, jsonlite 1.8.4 (Debian bookworm).
# Every number in the JSON is computed here by R; nothing is copied from the Python code.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[[1]] else file.path("tests", "data")
out_json <- if (length(args) >= 2) args[[2]] else
  file.path("tests", "analysis", "reference", "psych_reliability.json")

# psych::alpha also cat()s advice about negatively correlated items; capture.output drops it.
quiet <- function(expr) {
  res <- NULL
  invisible(capture.output(res <- suppressMessages(suppressWarnings(expr))))
  res
}

# ---- data ---------------------------------------------------------------------------------
bfi_csv <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)
data(bfi, package = "psych")
# The CSV is psych's own bfi (2800 x 28); check so the references stay tied to psych 2.2.9.
stopifnot(isTRUE(all.equal(as.matrix(bfi_csv[, 1:25]), as.matrix(bfi[, 1:25]),
                           check.attributes = FALSE)))
items_all <- bfi_csv[, 1:25]

scales <- list(
  A = list(items = paste0("A", 1:5), reverse = c("A1")),
  C = list(items = paste0("C", 1:5), reverse = c("C4", "C5")),
  E = list(items = paste0("E", 1:5), reverse = c("E1", "E2")),
  N = list(items = paste0("N", 1:5), reverse = character(0)),
  O = list(items = paste0("O", 1:5), reverse = c("O2", "O5"))
)
# bfi is a 1..6 scale for every item, so psych's global (min + max) - x reversal equals the
# per-item declared-range reversal 1 + 6 - x used by the Python code.
reverse_items <- function(x, rev, lo = 1, hi = 6) {
  for (it in rev) x[[it]] <- lo + hi - x[[it]]
  x
}

num <- function(v) unname(as.numeric(v))

alpha_block <- function(x, keys = NULL, use = "pairwise") {
  a <- quiet(psych::alpha(x, keys = keys, use = use))
  tot <- a$total
  drop <- a$alpha.drop
  st <- a$item.stats
  list(
    raw_alpha = num(tot$raw_alpha), std_alpha = num(tot$std.alpha), g6 = num(tot[["G6(smc)"]]),
    average_r = num(tot$average_r), signal_noise = num(tot[["S/N"]]), ase = num(tot$ase),
    mean = num(tot$mean), sd = num(tot$sd), median_r = num(tot$median_r),
    var_r = num(a$var.r),
    feldt = c(num(a$feldt$lower.ci), num(a$feldt$upper.ci)),
    duhachek_qnorm = num(tot$raw_alpha) + c(-1, 1) * qnorm(0.975) * num(tot$ase),
    duhachek_196 = num(tot$raw_alpha) + c(-1, 1) * 1.96 * num(tot$ase),
    n_rows = nrow(x), n_complete = sum(complete.cases(x)), k = ncol(x),
    items = colnames(x),
    drop = list(
      raw_alpha = num(drop$raw_alpha), std_alpha = num(drop$std.alpha),
      g6 = num(drop[["G6(smc)"]]), average_r = num(drop$average_r),
      signal_noise = num(drop[["S/N"]]), ase = num(drop[["alpha se"]]),
      var_r = num(drop$var.r), median_r = num(drop$med.r)
    ),
    stats = list(
      n = num(st$n), raw_r = num(st$raw.r), std_r = num(st$std.r), r_cor = num(st$r.cor),
      r_drop = num(st$r.drop), mean = num(st$mean), sd = num(st$sd)
    )
  )
}

omega_block <- function(xr, fm) {
  om <- quiet(psych::omega(xr, nfactors = 1, fm = fm, plot = FALSE))
  g <- num(om$schmid$sl[, 1])
  u2 <- num(om$schmid$sl[, "u2"])
  list(
    omega_tot = num(om$omega.tot), omega_h = num(om$omega_h), alpha = num(om$alpha),
    g6 = num(om$G6), loadings = g, u2 = u2,
    # McDonald's model-implied omega from psych's own loadings, computed here in R.
    omega_mcdonald = sum(g)^2 / (sum(g)^2 + sum(u2))
  )
}

# Mean of the Flanagan-Rulon coefficient 4 a'Rb / 1'R1 over ALL distinct splits into
# floor(k/2) and ceiling(k/2) items, enumerated with combn (independent of psych's loop).
all_splits <- function(xr) {
  R <- cov2cor(cov(xr, use = "pairwise"))
  k <- ncol(R); m <- k %/% 2
  cmb <- combn(k, m)
  if (2 * m == k) cmb <- cmb[, cmb[1, ] == 1, drop = FALSE]  # each split once
  vals <- apply(cmb, 2, function(o) {
    a <- rep(0, k); a[o] <- 1; b <- 1 - a
    4 * sum(outer(a, b) * R) / sum(R)
  })
  half <- function(i) {
    a <- colnames(R)[cmb[, i]]
    list(a = I(a), b = I(setdiff(colnames(R), a)))
  }
  list(mean = mean(vals), max = max(vals), min = min(vals), count = length(vals),
       best = half(which.max(vals)), worst = half(which.min(vals)))
}

split_block <- function(xr) {
  sh <- quiet(psych::splitHalf(xr, raw = TRUE, check.keys = FALSE))
  al <- all_splits(xr)
  list(
    maxrb = num(sh$maxrb), minrb = num(sh$minrb), meanr = num(sh$meanr),
    alpha = num(sh$alpha), lambda2 = num(sh$lambda2), lambda6 = num(sh$lambda6),
    av_r = num(sh$av.r), med_r = num(sh$med.r),
    psych_count = round(choose(ncol(xr), ncol(xr) %/% 2)) / 2,
    all_mean = al$mean, all_max = al$max, all_min = al$min, all_count = al$count,
    all_best = al$best, all_worst = al$worst
  )
}

out <- list(
  meta = list(
    R = R.version.string, psych = as.character(packageVersion("psych")),
    GPArotation = as.character(packageVersion("GPArotation")),
    jsonlite = as.character(packageVersion("jsonlite"))
  ),
  bfi = list()
)

for (nm in names(scales)) {
  sc <- scales[[nm]]
  x <- items_all[, sc$items]
  xr <- reverse_items(x, sc$reverse)
  xc <- x[complete.cases(x), ]
  xrc <- xr[complete.cases(xr), ]
  keys <- if (length(sc$reverse)) sc$reverse else NULL
  out$bfi[[nm]] <- list(
    items = I(sc$items), reverse = I(sc$reverse),
    pairwise = alpha_block(x, keys = keys),
    # psych's use="complete.obs": listwise C, but N = all rows in the intervals and
    # person scores / item stats from all rows.
    complete_obs = alpha_block(x, keys = keys, use = "complete.obs"),
    # rows deleted first: what a listwise policy with N = complete rows gives.
    listwise = alpha_block(xc, keys = keys),
    omega_minres = omega_block(xr, "minres"),
    omega_ml = omega_block(xr, "ml"),
    omega_minres_listwise = omega_block(xrc, "minres"),
    split = split_block(xr)
  )
}

# Multi-scale item sets for split-half: even k = 10 (psych enumerates every split) and k = 16
# (the largest k enumerated exactly at n.sample = 10000).
multi <- list(
  AC = list(items = c(scales$A$items, scales$C$items), reverse = c("A1", "C4", "C5")),
  ACE_N1 = list(items = c(scales$A$items, scales$C$items, scales$E$items, "N1"),
                reverse = c("A1", "C4", "C5", "E1", "E2"))
)
out$bfi_multi <- list()
for (nm in names(multi)) {
  sc <- multi[[nm]]
  xr <- reverse_items(items_all[, sc$items], sc$reverse)
  out$bfi_multi[[nm]] <- list(items = I(sc$items), reverse = I(sc$reverse), split = split_block(xr))
}

# ---- pingouin datasets --------------------------------------------------------------------
wide <- read.csv(file.path(data_dir, "pingouin_cronbach_wide_missing.csv"),
                 fileEncoding = "UTF-8-BOM")
out$pingouin_wide_missing <- list(
  pairwise = alpha_block(wide),
  complete_obs = alpha_block(wide, use = "complete.obs"),
  listwise = alpha_block(wide[complete.cases(wide), ])
)

long <- read.csv(file.path(data_dir, "pingouin_cronbach_alpha_long.csv"))
wide_long <- reshape(long, idvar = "Subj", timevar = "Items", direction = "wide")
wide_long <- wide_long[order(wide_long$Subj), ]
rownames(wide_long) <- wide_long$Subj
wide_long$Subj <- NULL
colnames(wide_long) <- sub("^Scores\\.", "", colnames(wide_long))
wide_long <- wide_long[, paste0("Q", 1:10)]
out$pingouin_long <- list(
  pairwise = alpha_block(wide_long),
  split = split_block(wide_long)
)

# ---- Feldt et al. (1987) textbook example: alpha = .79, k = 26, N = 41 -------------------------
f95 <- psych::alpha.ci(0.79, 41, 26, p.val = 0.05)
f90 <- psych::alpha.ci(0.79, 41, 26, p.val = 0.10)
out$feldt_example <- list(
  alpha = 0.79, n = 41, k = 26,
  ci95 = c(num(f95$lower.ci), num(f95$upper.ci)),
  ci90 = c(num(f90$lower.ci), num(f90$upper.ci))
)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), out_json)
cat("wrote", out_json, "\n")
