# What z1 keeps versus data.noise1 (points: learned R^2 (probe, test set), mean ± sd over 3 seeds; lines: the analytic optimum (curve); dashed: all of x1; fixed: data.k_shared=2, data.kind=linear, data.redundancy=0.5, model.dim=2, model.encoder=linear, objective.alignment=regression, objective.lambda=0.3, train.weight_decay=0)
# written by alignsim plot from results/noise/results.csv; run `gnuplot by_data.noise1.gp` in this directory to redraw by_data.noise1.svg and by_data.noise1.png
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 1300,932 dynamic enhanced font "Helvetica,13" background rgb "white"; set output "by_data.noise1.svg" } else { set terminal pngcairo size 1300,932 enhanced font "Helvetica,11" background rgb "white"; set output "by_data.noise1.png" }
  reset
  set datafile missing "?"
  set grid lc rgb "#dddddd"
  set key samplen 2 spacing 1.1
  set multiplot layout 2,2 title "What z1 keeps versus data.noise1\npoints: learned R^2 (probe, test set), mean ± sd over 3 seeds; lines: the analytic optimum (curve); dashed: all of x1\nfixed: data.k\\_shared=2, data.kind=linear, data.redundancy=0.5, model.dim=2, model.encoder=linear, objective.alignment=regression,\n  objective.lambda=0.3, train.weight\\_decay=0" font ",13"
  set xrange [0.08223401594268892:6.080208953293287]
  set logscale x
  set xtics (0.1, 0.2, 0.5, 1, 2, 5)
  set xlabel "data.noise1"
  set yrange [-0.05:1.05]
  set key outside right top
  unset label
  set label "all of x1: y\\_shared, y1, y\\_mix" at first 0.9764500399575015, first 0.5119135908119185 left offset 1,0.8 font ",10" tc rgb "#555555" front
  unset arrow 1
  set title "targets from z1, objective.task=none"
  set ylabel "R^2(target | z1)"
  plot "by_data.noise1.dat" index 1 using 1:3 with lines dt (6,4) lw 5 lc rgb "#90555555" notitle, "by_data.noise1.dat" index 1 using 1:7 with lines dt (6,4) lw 5 lc rgb "#908c564b" notitle, "by_data.noise1.dat" index 1 using 1:2 with lines lw 2 lc rgb "#1f77b4" notitle, "by_data.noise1.dat" index 1 using 1:4 with lines lw 2 lc rgb "#ff7f0e" notitle, "by_data.noise1.dat" index 1 using 1:6 with lines lw 2 lc rgb "#8c564b" notitle, "by_data.noise1.dat" index 1 using 1:8 with lines lw 2 lc rgb "#000000" notitle, "by_data.noise1.dat" index 0 using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "#1f77b4" title "y\\_shared", "by_data.noise1.dat" index 0 using 1:6:7 with yerrorbars pt 7 ps 0.8 lc rgb "#ff7f0e" title "y1", "by_data.noise1.dat" index 0 using 1:10:11 with yerrorbars pt 7 ps 0.8 lc rgb "#8c564b" title "y2", "by_data.noise1.dat" index 0 using 1:14:15 with yerrorbars pt 7 ps 0.8 lc rgb "#000000" title "y\\_mix", keyentry with lines lw 2 lc rgb "black" title "analytic", keyentry with lines dt (6,4) lw 5 lc rgb "#90000000" title "all of x1"
  unset label
  set label "all of x1: s, u1" at first 0.9764500399575015, first 0.5119135908119185 left offset 1,0.8 font ",10" tc rgb "#555555" front
  unset arrow 1
  set title "latent blocks from z1, objective.task=none"
  set ylabel "R^2(block | z1), mean over its coordinates"
  plot "by_data.noise1.dat" index 1 using 1:11 with lines dt (6,4) lw 5 lc rgb "#90555555" notitle, "by_data.noise1.dat" index 1 using 1:15 with lines dt (6,4) lw 5 lc rgb "#909467bd" notitle, "by_data.noise1.dat" index 1 using 1:10 with lines lw 2 lc rgb "#2ca02c" notitle, "by_data.noise1.dat" index 1 using 1:12 with lines lw 2 lc rgb "#d62728" notitle, "by_data.noise1.dat" index 1 using 1:14 with lines lw 2 lc rgb "#9467bd" notitle, "by_data.noise1.dat" index 0 using 1:18:19 with yerrorbars pt 7 ps 0.8 lc rgb "#2ca02c" title "s", "by_data.noise1.dat" index 0 using 1:22:23 with yerrorbars pt 7 ps 0.8 lc rgb "#d62728" title "u1", "by_data.noise1.dat" index 0 using 1:26:27 with yerrorbars pt 7 ps 0.8 lc rgb "#9467bd" title "u2", keyentry with lines lw 2 lc rgb "black" title "analytic", keyentry with lines dt (6,4) lw 5 lc rgb "#90000000" title "all of x1"
  unset label
  set label "all of x1: y\\_shared, y1, y\\_mix" at first 0.9764500399575015, first 0.5119135908119185 left offset 1,0.8 font ",10" tc rgb "#555555" front
  unset arrow 1
  set title "targets from z1, objective.task=y\\_mix"
  set ylabel "R^2(target | z1)"
  plot "by_data.noise1.dat" index 3 using 1:3 with lines dt (6,4) lw 5 lc rgb "#90555555" notitle, "by_data.noise1.dat" index 3 using 1:7 with lines dt (6,4) lw 5 lc rgb "#908c564b" notitle, "by_data.noise1.dat" index 3 using 1:2 with lines lw 2 lc rgb "#1f77b4" notitle, "by_data.noise1.dat" index 3 using 1:4 with lines lw 2 lc rgb "#ff7f0e" notitle, "by_data.noise1.dat" index 3 using 1:6 with lines lw 2 lc rgb "#8c564b" notitle, "by_data.noise1.dat" index 3 using 1:8 with lines lw 2 lc rgb "#000000" notitle, "by_data.noise1.dat" index 2 using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "#1f77b4" title "y\\_shared", "by_data.noise1.dat" index 2 using 1:6:7 with yerrorbars pt 7 ps 0.8 lc rgb "#ff7f0e" title "y1", "by_data.noise1.dat" index 2 using 1:10:11 with yerrorbars pt 7 ps 0.8 lc rgb "#8c564b" title "y2", "by_data.noise1.dat" index 2 using 1:14:15 with yerrorbars pt 7 ps 0.8 lc rgb "#000000" title "y\\_mix", keyentry with lines lw 2 lc rgb "black" title "analytic", keyentry with lines dt (6,4) lw 5 lc rgb "#90000000" title "all of x1"
  unset label
  set label "all of x1: s, u1" at first 0.9764500399575015, first 0.5119135908119185 left offset 1,0.8 font ",10" tc rgb "#555555" front
  unset arrow 1
  set title "latent blocks from z1, objective.task=y\\_mix"
  set ylabel "R^2(block | z1), mean over its coordinates"
  plot "by_data.noise1.dat" index 3 using 1:11 with lines dt (6,4) lw 5 lc rgb "#90555555" notitle, "by_data.noise1.dat" index 3 using 1:15 with lines dt (6,4) lw 5 lc rgb "#909467bd" notitle, "by_data.noise1.dat" index 3 using 1:10 with lines lw 2 lc rgb "#2ca02c" notitle, "by_data.noise1.dat" index 3 using 1:12 with lines lw 2 lc rgb "#d62728" notitle, "by_data.noise1.dat" index 3 using 1:14 with lines lw 2 lc rgb "#9467bd" notitle, "by_data.noise1.dat" index 2 using 1:18:19 with yerrorbars pt 7 ps 0.8 lc rgb "#2ca02c" title "s", "by_data.noise1.dat" index 2 using 1:22:23 with yerrorbars pt 7 ps 0.8 lc rgb "#d62728" title "u1", "by_data.noise1.dat" index 2 using 1:26:27 with yerrorbars pt 7 ps 0.8 lc rgb "#9467bd" title "u2", keyentry with lines lw 2 lc rgb "black" title "analytic", keyentry with lines dt (6,4) lw 5 lc rgb "#90000000" title "all of x1"
  unset multiplot
  set output
}
