# Capacity: what z1 keeps of s and u1 as model.dim crosses k_shared = 2 (at data.redundancy=0.5, train.optimizer=adamw (linear encoders); learned mean ± sd over 5 seeds)
# written by alignsim plot from results/paper/results.csv; run `gnuplot capacity.gp` in this directory to redraw capacity.svg and capacity.png
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 1120,1070 dynamic enhanced font "Helvetica,13" background rgb "white"; set output "capacity.svg" } else { set terminal pngcairo size 1120,1070 enhanced font "Helvetica,11" background rgb "white"; set output "capacity.png" }
  reset
  set datafile missing "?"
  set grid lc rgb "#dddddd"
  set key samplen 2 spacing 1.1
  set multiplot layout 2,2 title "Capacity: what z1 keeps of s and u1 as model.dim crosses k\\_shared = 2\nat data.redundancy=0.5, train.optimizer=adamw (linear encoders); learned mean ± sd over 5 seeds" font ",13"
  set title "linear encoders: infonce (closed form: the cca optimum)"
  set xlabel "model.dim (p)"
  set ylabel "R^2(block | z1), mean over the block"
  set xrange [0.6:6.4]
  set yrange [-0.02:1.0]
  set xtics 1
  unset arrow
  set arrow from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb "gray"
  set key below horizontal maxcols 2 width -1 height 1
  plot "capacity.dat" index 2 using 1:2 with lines lw 2 lc rgb "#2ca02c" title "s, closed form", "capacity.dat" index 2 using 1:3 with lines lw 2 lc rgb "#d62728" title "u1, closed form", "capacity.dat" index 0 using ($1-0.12):2:3 with yerrorbars pt 7 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 0 using ($1-0.12):4:5 with yerrorbars pt 7 ps 0.9 lc rgb "#d62728" notitle, "capacity.dat" index 0 using ($1+0):7:8 with yerrorbars pt 6 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 0 using ($1+0):9:10 with yerrorbars pt 6 ps 0.9 lc rgb "#d62728" notitle, "capacity.dat" index 1 using ($1+0.12):2:3 with yerrorbars pt 9 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 1 using ($1+0.12):4:5 with yerrorbars pt 9 ps 0.9 lc rgb "#d62728" notitle, keyentry with points pt 7 ps 0.9 lc rgb "black" title "linear probe", keyentry with points pt 6 ps 0.9 lc rgb "black" title "nonlinear probe", keyentry with points pt 9 ps 0.9 lc rgb "black" title "linear probe, decay 0.1"
  set title "linear encoders: spectral"
  set xlabel "model.dim (p)"
  set ylabel "R^2(block | z1), mean over the block"
  set xrange [0.6:6.4]
  set yrange [-0.02:1.0]
  set xtics 1
  unset arrow
  set arrow from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb "gray"
  set key below horizontal maxcols 2 width -1 height 1
  plot "capacity.dat" index 5 using 1:2 with lines lw 2 lc rgb "#2ca02c" title "s, closed form", "capacity.dat" index 5 using 1:3 with lines lw 2 lc rgb "#d62728" title "u1, closed form", "capacity.dat" index 3 using ($1-0.12):2:3 with yerrorbars pt 7 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 3 using ($1-0.12):4:5 with yerrorbars pt 7 ps 0.9 lc rgb "#d62728" notitle, "capacity.dat" index 3 using ($1+0):7:8 with yerrorbars pt 6 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 3 using ($1+0):9:10 with yerrorbars pt 6 ps 0.9 lc rgb "#d62728" notitle, "capacity.dat" index 4 using ($1+0.12):2:3 with yerrorbars pt 9 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 4 using ($1+0.12):4:5 with yerrorbars pt 9 ps 0.9 lc rgb "#d62728" notitle, keyentry with points pt 7 ps 0.9 lc rgb "black" title "linear probe", keyentry with points pt 6 ps 0.9 lc rgb "black" title "nonlinear probe", keyentry with points pt 9 ps 0.9 lc rgb "black" title "linear probe, decay 0.1"
  set title "MLP encoders [32]: cca (centred whitening)"
  set xlabel "model.dim (p)"
  set ylabel "R^2(block | z1), mean over the block"
  set xrange [0.6:6.4]
  set yrange [-0.02:1.0]
  set xtics 1
  unset arrow
  set arrow from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb "gray"
  set key below horizontal maxcols 2 width -1 height 1
  plot "capacity.dat" index 7 using 1:2 with lines lw 2 lc rgb "#2ca02c" title "s, closed form", "capacity.dat" index 7 using 1:3 with lines lw 2 lc rgb "#d62728" title "u1, closed form", "capacity.dat" index 6 using ($1-0.12):2:3 with yerrorbars pt 7 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 6 using ($1-0.12):4:5 with yerrorbars pt 7 ps 0.9 lc rgb "#d62728" notitle, "capacity.dat" index 6 using ($1+0.12):7:8 with yerrorbars pt 6 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 6 using ($1+0.12):9:10 with yerrorbars pt 6 ps 0.9 lc rgb "#d62728" notitle, keyentry with points pt 7 ps 0.9 lc rgb "black" title "linear probe", keyentry with points pt 6 ps 0.9 lc rgb "black" title "nonlinear probe"
  set title "MLP encoders [32]: spectral (uncentred: the constant takes a dimension)"
  set xlabel "model.dim (p)"
  set ylabel "R^2(block | z1), mean over the block"
  set xrange [0.6:6.4]
  set yrange [-0.02:1.0]
  set xtics 1
  unset arrow
  set arrow from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb "gray"
  set key below horizontal maxcols 2 width -1 height 1
  plot "capacity.dat" index 9 using 1:2 with lines lw 2 lc rgb "#2ca02c" title "s, closed form", "capacity.dat" index 9 using 1:3 with lines lw 2 lc rgb "#d62728" title "u1, closed form", "capacity.dat" index 8 using ($1-0.12):2:3 with yerrorbars pt 7 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 8 using ($1-0.12):4:5 with yerrorbars pt 7 ps 0.9 lc rgb "#d62728" notitle, "capacity.dat" index 8 using ($1+0.12):7:8 with yerrorbars pt 6 ps 0.9 lc rgb "#2ca02c" notitle, "capacity.dat" index 8 using ($1+0.12):9:10 with yerrorbars pt 6 ps 0.9 lc rgb "#d62728" notitle, keyentry with points pt 7 ps 0.9 lc rgb "black" title "linear probe", keyentry with points pt 6 ps 0.9 lc rgb "black" title "nonlinear probe"
  unset multiplot
  set output
}
