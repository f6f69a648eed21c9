# Independent reference values from R (spdep + stats) for tests/test_statistics_r.py.
#
# Usage: Rscript localmoran_reference.R DIR
#   DIR/values.csv   one column per variable, one row per unit, NA = missing
#   DIR/edges.csv    from,to,weight (1-based unit numbers, off-diagonal, weight > 0)
#   DIR/pvalues.csv  optional: a column p (NA allowed)
# Writes:
#   DIR/localmoran.csv  column,unit,Ii,E,Var,Z   spdep::localmoran(conditional=TRUE, mlvar=TRUE)
#   DIR/localG.csv      column,unit,Z           spdep::localG, self included (Gi*)
#   DIR/padjust.csv     p,BH,BY,bonferroni      stats::p.adjust
# Missing values: the unit is dropped and the weights are rebuilt on the remaining units
# (neighbours with a value keep their weights; style "W" row-standardises again), i.e.
# spdep's na.action = na.exclude extended to general weights.
suppressPackageStartupMessages(library(spdep))

args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
values <- read.csv(file.path(dir, "values.csv"), check.names = FALSE)
edges <- read.csv(file.path(dir, "edges.csv"))
n <- nrow(values)

build_listw <- function(keep, self) {
  idx <- which(keep)
  pos <- integer(n)
  pos[idx] <- seq_along(idx)
  e <- edges[keep[edges$from] & keep[edges$to], ]
  nb <- vector("list", length(idx))
  gl <- vector("list", length(idx))
  for (k in seq_along(idx)) {
    rows <- e[e$from == idx[k], ]
    rows <- rows[order(pos[rows$to]), ]
    nbr <- pos[rows$to]
    wts <- rows$weight
    all_rows <- edges[edges$from == idx[k], ]
    if (self && nrow(all_rows) > 0) {
      # Gi* self-weight: the row's largest weight over the full graph
      nbr <- c(nbr, k)
      wts <- c(wts, max(all_rows$weight))
      o <- order(nbr)
      nbr <- nbr[o]
      wts <- wts[o]
    }
    if (length(nbr) == 0) {
      nbr <- 0L
      wts <- numeric(0)
    }
    nb[[k]] <- as.integer(nbr)
    gl[k] <- list(if (length(wts)) wts else NULL)
  }
  class(nb) <- "nb"
  attr(nb, "region.id") <- as.character(idx)
  if (self) attr(nb, "self.included") <- TRUE
  nb2listw(nb, glist = gl, style = "W", zero.policy = TRUE)
}

lm_out <- list()
lg_out <- list()
for (col in names(values)) {
  x <- values[[col]]
  keep <- !is.na(x)
  idx <- which(keep)
  lw <- build_listw(keep, self = FALSE)
  lm <- localmoran(x[keep], lw, zero.policy = TRUE, conditional = TRUE, mlvar = TRUE)
  lm_out[[col]] <- data.frame(column = col, unit = idx, Ii = lm[, 1], E = lm[, 2],
                              Var = lm[, 3], Z = lm[, 4])
  lws <- build_listw(keep, self = TRUE)
  lg <- localG(x[keep], lws, zero.policy = TRUE)
  lg_out[[col]] <- data.frame(column = col, unit = idx, Z = as.numeric(lg))
}
write.csv(do.call(rbind, lm_out), file.path(dir, "localmoran.csv"), row.names = FALSE)
write.csv(do.call(rbind, lg_out), file.path(dir, "localG.csv"), row.names = FALSE)

pfile <- file.path(dir, "pvalues.csv")
if (file.exists(pfile)) {
  p <- read.csv(pfile)$p
  out <- data.frame(p = p, BH = p.adjust(p, "BH"), BY = p.adjust(p, "BY"),
                    bonferroni = p.adjust(p, "bonferroni"))
  write.csv(out, file.path(dir, "padjust.csv"), row.names = FALSE)
}
