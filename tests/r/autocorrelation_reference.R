# Independent reference values from R's spdep for tests/test_autocorrelation.py.
#
# Usage: Rscript autocorrelation_reference.R DIR
#   DIR/edges.csv    from,to,weight (1-based unit numbers, off-diagonal, weight > 0)
#   DIR/values.csv   one column per variable (no missing values), one row per unit
#   DIR/binary.csv   one 0/1 column per binary map
#   DIR/coords.csv   x,y per unit;  DIR/bands.csv  d1,d2 per distance band
#   DIR/order.txt    the highest contiguity order of the correlogram
# Writes (one row per column, and per unit / order / band where it applies):
#   geary.csv        column,C,E,Var_rand,Var_norm   geary.test, style "W", randomisation TRUE / FALSE
#   localC.csv       column,unit,C                  localC, style "W"
#   globalG.csv      column,G,E,Var                 globalG.test, style "B"
#   joincount.csv    column,BB,E_BB,Var_BB,WW,E_WW,Var_WW,BW,E_BW,Var_BW
#                                                   joincount.test / joincount.multi, style "B", nonfree sampling
#   correlogram.csv  column,order,I,E,Var           sp.correlogram(method = "I", style = "W")
#   bands.csv        column,d1,d2,I,E,Var           moran.test on dnearneigh(coords, d1, d2), style "W"
# and, when DIR/perm_values.csv exists (columns to test by permutation; DIR/nsim.txt, DIR/perm_edges.csv):
#   localC_perm.csv  column,unit,E,p_folded          localC_perm(nsim, iseed = 1), style "W": the simulated
#                                                   mean and the smaller one-sided tail, (1 + min(#>=, #<)) / (nsim + 1)
suppressPackageStartupMessages(library(spdep))

args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
values <- read.csv(file.path(dir, "values.csv"), check.names = FALSE)
binary <- read.csv(file.path(dir, "binary.csv"), check.names = FALSE)
edges <- read.csv(file.path(dir, "edges.csv"))
coords <- as.matrix(read.csv(file.path(dir, "coords.csv")))
bands <- read.csv(file.path(dir, "bands.csv"))
max_order <- as.integer(readLines(file.path(dir, "order.txt")))
n <- nrow(values)

nb <- vector("list", n)
gl <- vector("list", n)
for (i in seq_len(n)) {
  rows <- edges[edges$from == i, ]
  rows <- rows[order(rows$to), ]
  nb[[i]] <- if (nrow(rows)) as.integer(rows$to) else 0L
  gl[i] <- list(if (nrow(rows)) rows$weight else NULL)
}
class(nb) <- "nb"
attr(nb, "region.id") <- as.character(seq_len(n))
lw_w <- nb2listw(nb, glist = gl, style = "W", zero.policy = TRUE)
lw_b <- nb2listw(nb, style = "B", zero.policy = TRUE)

geary_out <- list(); local_out <- list(); g_out <- list(); cor_out <- list(); band_out <- list()
for (col in names(values)) {
  x <- values[[col]]
  rand <- geary.test(x, lw_w, randomisation = TRUE, zero.policy = TRUE)$estimate
  norm <- geary.test(x, lw_w, randomisation = FALSE, zero.policy = TRUE)$estimate
  geary_out[[col]] <- data.frame(column = col, C = rand[1], E = rand[2], Var_rand = rand[3], Var_norm = norm[3])
  local_out[[col]] <- data.frame(column = col, unit = seq_len(n), C = as.numeric(localC(x, lw_w, zero.policy = TRUE)))
  g <- globalG.test(x, lw_b, zero.policy = TRUE)$estimate
  g_out[[col]] <- data.frame(column = col, G = g[1], E = g[2], Var = g[3])
  cor <- sp.correlogram(nb, x, order = max_order, method = "I", style = "W", zero.policy = TRUE)$res
  cor_out[[col]] <- data.frame(column = col, order = seq_len(nrow(cor)), I = cor[, 1], E = cor[, 2], Var = cor[, 3])
  for (b in seq_len(nrow(bands))) {
    dnb <- dnearneigh(coords, bands$d1[b], bands$d2[b])
    m <- moran.test(x, nb2listw(dnb, style = "W", zero.policy = TRUE), zero.policy = TRUE, adjust.n = FALSE)$estimate
    band_out[[length(band_out) + 1]] <- data.frame(column = col, d1 = bands$d1[b], d2 = bands$d2[b],
                                                   I = m[1], E = m[2], Var = m[3])
  }
}
jc_out <- list()
for (col in names(binary)) {
  f <- factor(binary[[col]], levels = c(0, 1))
  jc <- joincount.test(f, lw_b, zero.policy = TRUE)
  multi <- joincount.multi(f, lw_b, zero.policy = TRUE)
  jc_out[[col]] <- data.frame(column = col,
                              BB = jc[[2]]$estimate[1], E_BB = jc[[2]]$estimate[2], Var_BB = jc[[2]]$estimate[3],
                              WW = jc[[1]]$estimate[1], E_WW = jc[[1]]$estimate[2], Var_WW = jc[[1]]$estimate[3],
                              BW = multi["1:0", 1], E_BW = multi["1:0", 2], Var_BW = multi["1:0", 3])
}
write.csv(do.call(rbind, geary_out), file.path(dir, "geary.csv"), row.names = FALSE)
write.csv(do.call(rbind, local_out), file.path(dir, "localC.csv"), row.names = FALSE)
write.csv(do.call(rbind, g_out), file.path(dir, "globalG.csv"), row.names = FALSE)
write.csv(do.call(rbind, jc_out), file.path(dir, "joincount.csv"), row.names = FALSE)
write.csv(do.call(rbind, cor_out), file.path(dir, "correlogram.csv"), row.names = FALSE)
write.csv(do.call(rbind, band_out), file.path(dir, "bands.csv"), row.names = FALSE)

perm_file <- file.path(dir, "perm_values.csv")
if (file.exists(perm_file)) {
  pv <- read.csv(perm_file, check.names = FALSE)
  pe <- read.csv(file.path(dir, "perm_edges.csv"))
  m <- nrow(pv)
  pnb <- vector("list", m)
  for (i in seq_len(m)) {
    to <- sort(pe$to[pe$from == i])
    pnb[[i]] <- if (length(to)) as.integer(to) else 0L
  }
  class(pnb) <- "nb"
  attr(pnb, "region.id") <- as.character(seq_len(m))
  plw <- nb2listw(pnb, style = "W", zero.policy = TRUE)
  nsim <- as.integer(readLines(file.path(dir, "nsim.txt")))
  perm_out <- list()
  for (col in names(pv)) {
    r <- attr(localC_perm(pv[[col]], plw, nsim = nsim, zero.policy = TRUE, iseed = 1), "pseudo-p")
    perm_out[[col]] <- data.frame(column = col, unit = seq_len(m), E = r[, 1], p_folded = r[, 6])
  }
  write.csv(do.call(rbind, perm_out), file.path(dir, "localC_perm.csv"), row.names = FALSE)
}
