# Regenerates tests/analysis/reference/psych_fa.json: R reference values for
# analysis/factor.py (exploratory factor analysis) and for the instrument review page's
# reliability and factor tables (tests/survey_app/services/test_instrument_review.py).
#
# Usage (from the repository root):
#   Rscript tests/analysis/reference/psych_fa.R [DATA_DIR] [OUT_JSON]
# DATA_DIR defaults to tests/data (bfi.csv); OUT_JSON to tests/analysis/reference/psych_fa.json.
#
# Produced with R 4.2.2, psych 2.2.9, GPArotation 2022.10.2, jsonlite 1.8.4 (Debian bookworm).
# Every number in the JSON is computed here by R; nothing is copied from the Python code.
#
# Which R calls match statsmodels' Factor (checked when this file was written):
# * fm = "ml" is maximum likelihood, the same fit as stats::factanal and statsmodels
#   Factor(method="ml");
# * rotate = "oblimin" is GPArotation::oblimin (gamma 0, no Kaiser normalisation) =
#   statsmodels' "oblimin" (quartimin); rotate = "Varimax" (capital V) is
#   GPArotation::Varimax, without Kaiser normalisation, as statsmodels' "varimax" (psych's
#   lower-case "varimax" is stats::varimax, which normalises rows first);
# * statsmodels' iterated principal axis (method="pa") converges to psych's fm = "minres"
#   solution, not to psych's fm = "pa" (which stops after 50 iterations).

suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[[1]] else file.path("tests", "data")
out_json <- if (length(args) >= 2) args[[2]] else
  file.path("tests", "analysis", "reference", "psych_fa.json")

quiet <- function(expr) {
  res <- NULL
  invisible(capture.output(res <- suppressMessages(suppressWarnings(expr))))
  res
}

bfi_csv <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)
data(bfi, package = "psych")
stopifnot(isTRUE(all.equal(as.matrix(bfi_csv[, 1:25]), as.matrix(bfi[, 1:25]),
                           check.attributes = FALSE)))

matrix_out <- function(m) {
  m <- unclass(m)
  list(rows = rownames(m), columns = colnames(m), values = unname(lapply(seq_len(nrow(m)),
       function(i) unname(as.numeric(m[i, ])))))
}

fa_case <- function(x, nfactors, fm, rotate) {
  f <- quiet(fa(x, nfactors = nfactors, fm = fm, rotate = rotate))
  phi <- if (is.null(f$Phi)) diag(nfactors) else f$Phi
  dimnames(phi) <- list(colnames(f$loadings), colnames(f$loadings))
  list(
    call = sprintf("psych::fa(x, nfactors = %d, fm = \"%s\", rotate = \"%s\")",
                   nfactors, fm, rotate),
    items = colnames(x),
    n_obs = nrow(x),
    loadings = matrix_out(f$loadings),
    phi = matrix_out(phi),
    communality = unname(as.numeric(f$communality)),
    uniqueness = unname(as.numeric(f$uniquenesses)),
    ss_loadings = unname(as.numeric(f$Vaccounted["SS loadings", ])),
    proportion_var = unname(as.numeric(f$Vaccounted["Proportion Var", ]))
  )
}

b15 <- bfi_csv[, 1:15]
b25 <- bfi_csv[, 1:25]
r15 <- cor(b15, use = "pairwise")
fan <- factanal(covmat = r15, factors = 3, n.obs = nrow(b15), rotation = "none")

# The review page's end-to-end case: the first 300 rows of A, C, E (gaps kept), answered as
# an instrument with the scoring keys of psych's bfi.keys, reverse-keyed as 7 - x (1..6 scale).
sub <- bfi_csv[1:300, 1:15]
reverse <- c("A1", "C4", "C5", "E1", "E2")
keyed <- sub
for (item in reverse) keyed[[item]] <- 7 - keyed[[item]]
scales <- list(A = paste0("A", 1:5), C = paste0("C", 1:5), E = paste0("E", 1:5))
reliability <- lapply(names(scales), function(s) {
  x <- keyed[, scales[[s]]]
  a <- quiet(alpha(x))
  ci <- alpha.ci(a$total$raw_alpha, n.obs = nrow(x), n.var = ncol(x), p.val = 0.05)
  o <- quiet(omega(x, nfactors = 1))
  list(scale = s, n = nrow(x), alpha = a$total$raw_alpha,
       feldt_low = ci$lower.ci[[1]], feldt_high = ci$upper.ci[[1]],
       omega_total = o$omega.tot)
})

# A Heywood case: the pairwise correlations of library_gap's 25 scale items in the demo's
# synthetic answers (1,200 responses, one general factor), four ML factors.
heywood_r <- as.matrix(read.csv(file.path(data_dir, "demo_gap_corr.csv"), row.names = 1,
                                check.names = FALSE))
heywood <- quiet(fa(heywood_r, nfactors = 4, fm = "ml", n.obs = 1200, rotate = "oblimin"))

out <- list(
  versions = list(R = R.version.string,
                  psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  bfi15_ml_oblimin = fa_case(b15, 3, "ml", "oblimin"),
  bfi15_ml_varimax = fa_case(b15, 3, "ml", "Varimax"),
  bfi15_minres_oblimin = fa_case(b15, 3, "minres", "oblimin"),
  bfi25_ml_oblimin = fa_case(b25, 5, "ml", "oblimin"),
  demo_gap_heywood = list(
    call = "psych::fa(r, nfactors = 4, fm = \"ml\", n.obs = 1200, rotate = \"oblimin\")",
    items = colnames(heywood_r),
    uniqueness = unname(as.numeric(heywood$uniquenesses)),
    ss_loadings = unname(as.numeric(heywood$Vaccounted["SS loadings", ]))
  ),
  bfi15_factanal = list(call = "stats::factanal(covmat = cor(x, use = \"pairwise\"), factors = 3, rotation = \"none\")",
                        uniqueness = unname(as.numeric(fan$uniquenesses))),
  review_subset = list(rows = "bfi rows 1-300, items A1-E5, reverse-keyed A1 C4 C5 E1 E2 as 7 - x",
                       fa = fa_case(keyed, 3, "ml", "oblimin"),
                       reliability = reliability)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_json)
