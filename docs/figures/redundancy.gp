# Information about y_mix kept by z1 versus redundancy, per objective (at model.dim=2, model.encoder=linear, train.optimizer=adam; learned mean ± sd over 5 seeds)
# written by alignsim plot from results/paper/results.csv; run `gnuplot redundancy.gp` in this directory to redraw redundancy.svg and redundancy.png
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 1100,900 dynamic enhanced font "Helvetica,13" background rgb "white"; set output "redundancy.svg" } else { set terminal pngcairo size 1100,900 enhanced font "Helvetica,11" background rgb "white"; set output "redundancy.png" }
  reset
  set datafile missing "?"
  set grid lc rgb "#dddddd"
  set key samplen 2 spacing 1.1
  set multiplot layout 2,2 title "Information about y\\_mix kept by z1 versus redundancy, per objective\nat model.dim=2, model.encoder=linear, train.optimizer=adam; learned mean ± sd over 5 seeds" font ",13"
  set title "infonce (analytic: the cca optimum)"
  set xlabel "redundancy ρ"
  set ylabel "R^2(y\\_mix | z1)"
  set xrange [-0.05:1.05]
  set yrange [-0.02:1.0]
  set key top left
  plot "redundancy.dat" index 0 using 1:6 with lines dt 2 lw 1.5 lc rgb "black" title "all of x1 (oracle)", '' index 0 using 1:5 with lines lw 2 lc rgb "#1f77b4" title "analytic optimum", '' index 0 using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "#1f77b4" title "learned"
  set title "regression"
  set xlabel "redundancy ρ"
  set ylabel "R^2(y\\_mix | z1)"
  set xrange [-0.05:1.05]
  set yrange [-0.02:1.0]
  set key top left
  plot "redundancy.dat" index 1 using 1:6 with lines dt 2 lw 1.5 lc rgb "black" title "all of x1 (oracle)", '' index 1 using 1:5 with lines lw 2 lc rgb "#ff7f0e" title "analytic optimum", '' index 1 using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "#ff7f0e" title "learned"
  set title "cca"
  set xlabel "redundancy ρ"
  set ylabel "R^2(y\\_mix | z1)"
  set xrange [-0.05:1.05]
  set yrange [-0.02:1.0]
  set key top left
  plot "redundancy.dat" index 2 using 1:6 with lines dt 2 lw 1.5 lc rgb "black" title "all of x1 (oracle)", '' index 2 using 1:5 with lines lw 2 lc rgb "#2ca02c" title "analytic optimum", '' index 2 using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "#2ca02c" title "learned"
  set title "spectral"
  set xlabel "redundancy ρ"
  set ylabel "R^2(y\\_mix | z1)"
  set xrange [-0.05:1.05]
  set yrange [-0.02:1.0]
  set key top left
  plot "redundancy.dat" index 3 using 1:6 with lines dt 2 lw 1.5 lc rgb "black" title "all of x1 (oracle)", '' index 3 using 1:5 with lines lw 2 lc rgb "#d62728" title "analytic optimum", '' index 3 using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "#d62728" title "learned"
  unset multiplot
  set output
}
