# Learned versus analytic R^2, 205 cells, z1 and z2 (mean |difference| 0.003, max 0.221)
# written by alignsim plot from results/paper/results.csv; run `gnuplot learned_vs_analytic.gp` in this directory to redraw learned_vs_analytic.svg and learned_vs_analytic.png
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 680,600 dynamic enhanced font "Helvetica,13" background rgb "white"; set output "learned_vs_analytic.svg" } else { set terminal pngcairo size 680,600 enhanced font "Helvetica,11" background rgb "white"; set output "learned_vs_analytic.png" }
  reset
  set datafile missing "?"
  set grid lc rgb "#dddddd"
  set key samplen 2 spacing 1.1
  set title "Learned versus analytic R^2, 205 cells, z1 and z2 (mean |difference| 0.003, max 0.221)"
  set xlabel "analytic R^2"
  set ylabel "learned R^2 (probe on the test set)"
  set xrange [-0.05:1.0]
  set yrange [-0.05:1.0]
  set size square
  set key top left
  plot x with lines dt 2 lc rgb "black" title "learned = analytic", "learned_vs_analytic.dat" index 0 using 1:2 with points pt 7 ps 0.7 lc rgb "#1f77b4" title "y\\_shared", "learned_vs_analytic.dat" index 1 using 1:2 with points pt 7 ps 0.7 lc rgb "#ff7f0e" title "y1", "learned_vs_analytic.dat" index 2 using 1:2 with points pt 7 ps 0.7 lc rgb "#8c564b" title "y2", "learned_vs_analytic.dat" index 3 using 1:2 with points pt 7 ps 0.7 lc rgb "#000000" title "y\\_mix", "learned_vs_analytic.dat" index 4 using 1:2 with points pt 5 ps 0.7 lc rgb "#2ca02c" title "s", "learned_vs_analytic.dat" index 5 using 1:2 with points pt 5 ps 0.7 lc rgb "#d62728" title "u1", "learned_vs_analytic.dat" index 6 using 1:2 with points pt 5 ps 0.7 lc rgb "#9467bd" title "u2"
  set output
}
