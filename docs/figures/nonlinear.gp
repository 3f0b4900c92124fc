# Nonlinear data, mlp encoders, infonce + task y_mix (mean ± sd over 3 seeds)
# written by alignsim plot from results/paper/results.csv; run `gnuplot nonlinear.gp` in this directory to redraw nonlinear.svg and nonlinear.png
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 1500,500 dynamic enhanced font "Helvetica,13" background rgb "white"; set output "nonlinear.svg" } else { set terminal pngcairo size 1500,500 enhanced font "Helvetica,11" background rgb "white"; set output "nonlinear.png" }
  reset
  set datafile missing "?"
  set grid lc rgb "#dddddd"
  set key samplen 2 spacing 1.1
  set multiplot layout 1,3 title "Nonlinear data, mlp encoders, infonce + task y\\_mix\nmean ± sd over 3 seeds" font ",13"
  set title "data.redundancy = 0"
  set logscale x
  set format x "10^{%L}"
  set xlabel "λ (weight of the alignment loss)"
  set ylabel "R^2(· | z1)"
  set yrange [-0.02:1.0]
  set key top right maxrows 4 width -1
  plot "nonlinear.dat" index 0 using 1:5:6 with yerrorlines pt 5 ps 0.8 lw 1.5 lc rgb "#2ca02c" notitle, "nonlinear.dat" index 0 using 1:2:3 with yerrorlines dt 2 pt 4 ps 0.8 lw 1.2 lc rgb "#2ca02c" notitle, "nonlinear.dat" index 1 using 1:5:6 with yerrorlines pt 5 ps 0.8 lw 1.5 lc rgb "#d62728" notitle, "nonlinear.dat" index 1 using 1:2:3 with yerrorlines dt 2 pt 4 ps 0.8 lw 1.2 lc rgb "#d62728" notitle, "nonlinear.dat" index 2 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#1f77b4" notitle, "nonlinear.dat" index 2 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#1f77b4" notitle, "nonlinear.dat" index 3 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#ff7f0e" notitle, "nonlinear.dat" index 3 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#ff7f0e" notitle, "nonlinear.dat" index 4 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#000000" notitle, "nonlinear.dat" index 4 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#000000" notitle, keyentry with lines lw 2 lc rgb "#2ca02c" title "s", keyentry with lines lw 2 lc rgb "#d62728" title "u1", keyentry with lines lw 2 lc rgb "#1f77b4" title "y\\_shared", keyentry with lines lw 2 lc rgb "#ff7f0e" title "y1", keyentry with lines lw 2 lc rgb "#000000" title "y\\_mix", keyentry with linespoints pt 7 ps 0.8 lw 1.5 lc rgb "black" title "nonlinear probe", keyentry with linespoints dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "black" title "linear probe"
  set title "data.redundancy = 0.5"
  set logscale x
  set format x "10^{%L}"
  set xlabel "λ (weight of the alignment loss)"
  set ylabel "R^2(· | z1)"
  set yrange [-0.02:1.0]
  set key top right maxrows 4 width -1
  plot "nonlinear.dat" index 5 using 1:5:6 with yerrorlines pt 5 ps 0.8 lw 1.5 lc rgb "#2ca02c" notitle, "nonlinear.dat" index 5 using 1:2:3 with yerrorlines dt 2 pt 4 ps 0.8 lw 1.2 lc rgb "#2ca02c" notitle, "nonlinear.dat" index 6 using 1:5:6 with yerrorlines pt 5 ps 0.8 lw 1.5 lc rgb "#d62728" notitle, "nonlinear.dat" index 6 using 1:2:3 with yerrorlines dt 2 pt 4 ps 0.8 lw 1.2 lc rgb "#d62728" notitle, "nonlinear.dat" index 7 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#1f77b4" notitle, "nonlinear.dat" index 7 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#1f77b4" notitle, "nonlinear.dat" index 8 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#ff7f0e" notitle, "nonlinear.dat" index 8 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#ff7f0e" notitle, "nonlinear.dat" index 9 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#000000" notitle, "nonlinear.dat" index 9 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#000000" notitle, keyentry with lines lw 2 lc rgb "#2ca02c" title "s", keyentry with lines lw 2 lc rgb "#d62728" title "u1", keyentry with lines lw 2 lc rgb "#1f77b4" title "y\\_shared", keyentry with lines lw 2 lc rgb "#ff7f0e" title "y1", keyentry with lines lw 2 lc rgb "#000000" title "y\\_mix", keyentry with linespoints pt 7 ps 0.8 lw 1.5 lc rgb "black" title "nonlinear probe", keyentry with linespoints dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "black" title "linear probe"
  set title "data.redundancy = 1"
  set logscale x
  set format x "10^{%L}"
  set xlabel "λ (weight of the alignment loss)"
  set ylabel "R^2(· | z1)"
  set yrange [-0.02:1.0]
  set key top right maxrows 4 width -1
  plot "nonlinear.dat" index 10 using 1:5:6 with yerrorlines pt 5 ps 0.8 lw 1.5 lc rgb "#2ca02c" notitle, "nonlinear.dat" index 10 using 1:2:3 with yerrorlines dt 2 pt 4 ps 0.8 lw 1.2 lc rgb "#2ca02c" notitle, "nonlinear.dat" index 11 using 1:5:6 with yerrorlines pt 5 ps 0.8 lw 1.5 lc rgb "#d62728" notitle, "nonlinear.dat" index 11 using 1:2:3 with yerrorlines dt 2 pt 4 ps 0.8 lw 1.2 lc rgb "#d62728" notitle, "nonlinear.dat" index 12 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#1f77b4" notitle, "nonlinear.dat" index 12 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#1f77b4" notitle, "nonlinear.dat" index 13 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#ff7f0e" notitle, "nonlinear.dat" index 13 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#ff7f0e" notitle, "nonlinear.dat" index 14 using 1:5:6 with yerrorlines pt 7 ps 0.8 lw 1.5 lc rgb "#000000" notitle, "nonlinear.dat" index 14 using 1:2:3 with yerrorlines dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "#000000" notitle, keyentry with lines lw 2 lc rgb "#2ca02c" title "s", keyentry with lines lw 2 lc rgb "#d62728" title "u1", keyentry with lines lw 2 lc rgb "#1f77b4" title "y\\_shared", keyentry with lines lw 2 lc rgb "#ff7f0e" title "y1", keyentry with lines lw 2 lc rgb "#000000" title "y\\_mix", keyentry with linespoints pt 7 ps 0.8 lw 1.5 lc rgb "black" title "nonlinear probe", keyentry with linespoints dt 2 pt 6 ps 0.8 lw 1.2 lc rgb "black" title "linear probe"
  unset multiplot
  set output
}
