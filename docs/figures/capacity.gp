# Capacity: what z1 keeps of s and u1 as model.dim crosses k_shared = 2 (at data.redundancy=0.5, train.optimizer=adamw; learned mean ± sd over 5 seeds)
# written by alignsim plot from results/paper/results.csv; run `gnuplot capacity.gp` in this directory to redraw capacity.svg and capacity.png
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 1100,500 dynamic enhanced font "Helvetica,13" background rgb "white"; set output "capacity.svg" } else { set terminal pngcairo size 1100,500 enhanced font "Helvetica,11" background rgb "white"; set output "capacity.png" }
  reset
  set datafile missing "?"
  set grid lc rgb "#dddddd"
  set key samplen 2 spacing 1.1
  set multiplot layout 1,2 title "Capacity: what z1 keeps of s and u1 as model.dim crosses k\\_shared = 2\nat data.redundancy=0.5, train.optimizer=adamw; learned mean ± sd over 5 seeds" font ",13"
  set title "infonce"
  set xlabel "model.dim (p)"
  set ylabel "R^2(block | z1), mean over the block"
  set xrange [0.7:6.3]
  set yrange [-0.02:1.0]
  set xtics 1
  unset arrow
  set arrow from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb "gray"
  set key below maxrows 2 width -2
  plot "capacity.dat" index 2 using 1:2 with lines lw 2 lc rgb "#2ca02c" title "s, analytic", "capacity.dat" index 2 using 1:3 with lines lw 2 lc rgb "#d62728" title "u1, analytic", "capacity.dat" index 0 using ($1-0.08+0.16*0):2:3 with yerrorbars pt 7 ps 0.9 lc rgb "#2ca02c" title "s, no weight decay", "capacity.dat" index 0 using ($1-0.08+0.16*0):4:5 with yerrorbars pt 7 ps 0.9 lc rgb "#d62728" title "u1, no weight decay", "capacity.dat" index 1 using ($1-0.08+0.16*1):2:3 with yerrorbars pt 4 ps 0.9 lc rgb "#2ca02c" title "s, weight decay 0.1", "capacity.dat" index 1 using ($1-0.08+0.16*1):4:5 with yerrorbars pt 4 ps 0.9 lc rgb "#d62728" title "u1, weight decay 0.1"
  set title "spectral"
  set xlabel "model.dim (p)"
  set ylabel "R^2(block | z1), mean over the block"
  set xrange [0.7:6.3]
  set yrange [-0.02:1.0]
  set xtics 1
  unset arrow
  set arrow from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb "gray"
  set key below maxrows 2 width -2
  plot "capacity.dat" index 5 using 1:2 with lines lw 2 lc rgb "#2ca02c" title "s, analytic", "capacity.dat" index 5 using 1:3 with lines lw 2 lc rgb "#d62728" title "u1, analytic", "capacity.dat" index 3 using ($1-0.08+0.16*0):2:3 with yerrorbars pt 7 ps 0.9 lc rgb "#2ca02c" title "s, no weight decay", "capacity.dat" index 3 using ($1-0.08+0.16*0):4:5 with yerrorbars pt 7 ps 0.9 lc rgb "#d62728" title "u1, no weight decay", "capacity.dat" index 4 using ($1-0.08+0.16*1):2:3 with yerrorbars pt 4 ps 0.9 lc rgb "#2ca02c" title "s, weight decay 0.1", "capacity.dat" index 4 using ($1-0.08+0.16*1):4:5 with yerrorbars pt 4 ps 0.9 lc rgb "#d62728" title "u1, weight decay 0.1"
  unset multiplot
  set output
}
