# Objective gap during training: the 8 slowest of 170 cells with a certificate (0 not converged; dashed: train.tolerance 0.001)
# written by alignsim plot from results/paper/results.csv; run `gnuplot convergence.gp` in this directory to redraw convergence.svg and convergence.png
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 760,600 dynamic enhanced font "Helvetica,13" background rgb "white"; set output "convergence.svg" } else { set terminal pngcairo size 760,600 enhanced font "Helvetica,11" background rgb "white"; set output "convergence.png" }
  reset
  set datafile missing "?"
  set grid lc rgb "#dddddd"
  set key samplen 2 spacing 1.1
  set title "Objective gap during training: the 8 slowest of 170 cells with a certificate\n0 not converged; dashed: train.tolerance 0.001"
  set xlabel "step (then + full-batch evaluations of the polishing phase)"
  set ylabel "relative gap to the optimum (training set)"
  set logscale y
  set format y "10^{%L}"
  set key below left Left reverse font ",9" maxrows 4
  plot "convergence.dat" index 0 using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "cell 100: alignment=regression, lambda=0.01, seed 0", "convergence.dat" index 1 using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "cell 101: alignment=regression, lambda=0.01, seed 1", "convergence.dat" index 2 using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "cell 102: alignment=regression, lambda=0.01, seed 2", "convergence.dat" index 3 using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "cell 103: alignment=regression, lambda=0.01, seed 3", "convergence.dat" index 4 using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "cell 104: alignment=regression, lambda=0.01, seed 4", "convergence.dat" index 5 using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "cell 105: alignment=regression, lambda=0.03, seed 0", "convergence.dat" index 6 using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "cell 106: alignment=regression, lambda=0.03, seed 1", "convergence.dat" index 7 using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "cell 107: alignment=regression, lambda=0.03, seed 2", 0.001 with lines dt 2 lw 1.5 lc rgb "black" title "tolerance"
  set output
}
