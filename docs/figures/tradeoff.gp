# Task y_mix + λ × alignment: what z1 keeps of y_mix (learned mean ± sd over 5 seeds)
# written by alignsim plot from results/paper/results.csv; run `gnuplot tradeoff.gp` in this directory to redraw tradeoff.svg and tradeoff.png
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 1100,500 dynamic enhanced font "Helvetica,13" background rgb "white"; set output "tradeoff.svg" } else { set terminal pngcairo size 1100,500 enhanced font "Helvetica,11" background rgb "white"; set output "tradeoff.png" }
  reset
  set datafile missing "?"
  set grid lc rgb "#dddddd"
  set key samplen 2 spacing 1.1
  set multiplot layout 1,2 title "Task y\\_mix + λ × alignment: what z1 keeps of y\\_mix\nlearned mean ± sd over 5 seeds" font ",13"
  set title "R^2(y\\_mix | z1) versus λ"
  set logscale x
  set format x "10^{%L}"
  set xlabel "λ (weight of the alignment loss)"
  set ylabel "R^2(y\\_mix | z1)"
  set yrange [-0.02:1.0]
  set key bottom left
  plot "tradeoff.dat" index 2 using 1:2 with lines lw 2 lc rgb "#ff7f0e" title "analytic (regression)", "tradeoff.dat" index 0 using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "#ff7f0e" title "learned, regression", "tradeoff.dat" index 1 using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "#1f77b4" title "learned, infonce"
  unset logscale x
  set format x "%g"
  set title "Pareto front (regression alignment)"
  set xlabel "alignment loss E‖z1 − W2 x2‖^2"
  set key bottom right
  plot "tradeoff.dat" index 2 using 3:2 with lines lw 2 lc rgb "#ff7f0e" title "analytic front", "tradeoff.dat" index 0 using 6:2:7:3 with xyerrorbars pt 7 ps 0.8 lc rgb "#ff7f0e" title "learned (test set)"
  unset multiplot
  set output
}
