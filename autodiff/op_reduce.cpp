// Reductions (sum and mean over everything, each row, or each column) and transpose.
// Their backward spreads the output gradient back over the reduced entries.
#include "autodiff/instantiate.hpp"
#include "autodiff/ops.hpp"

namespace ad {
namespace {

enum Axis { All = 0, Rows = 1, Cols = 2 };  // Rows: one value per row (m x 1)

template <class T>
void reduce_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const std::size_t R = a.value->shape()[0], C = a.value->shape()[1];
    const T* g = n.grad->data();
    T* gx = a.grad->data();
    const T s = n.alpha;  // 1 for a sum, 1/count for a mean
    const bool acc = t.accumulating(a);
    for (std::size_t i = 0; i < R; ++i) {
        T* gxi = gx + i * C;
        if (n.iarg == Cols) {
            if (acc) for (std::size_t j = 0; j < C; ++j) gxi[j] += s * g[j];
            else for (std::size_t j = 0; j < C; ++j) gxi[j] = s * g[j];
        } else {
            const T v = s * (n.iarg == All ? g[0] : g[i]);
            if (acc) for (std::size_t j = 0; j < C; ++j) gxi[j] += v;
            else for (std::size_t j = 0; j < C; ++j) gxi[j] = v;
        }
    }
}

template <class T>
Var<T> reduce(Var<T> a, int axis, bool mean) {
    const Mat<T>& X = a.value();
    const std::size_t R = X.shape()[0], C = X.shape()[1];
    const std::size_t orows = axis == Cols || axis == All ? 1 : R;
    const std::size_t ocols = axis == Rows || axis == All ? 1 : C;
    Var<T> out;
    Node<T>& n = a.tape->push(orows, ocols, {a}, &reduce_backward<T>, out);
    n.iarg = axis;
    const std::size_t count = axis == All ? R * C : (axis == Rows ? C : R);
    n.alpha = mean ? T(1) / T(count == 0 ? 1 : count) : T(1);
    T* y = n.own_value.data();
    n.own_value.fill(T(0));
    const T* x = X.data();
    for (std::size_t i = 0; i < R; ++i) {
        const T* xi = x + i * C;
        if (axis == Cols) {
            for (std::size_t j = 0; j < C; ++j) y[j] += xi[j];
        } else {
            T s = 0;
            for (std::size_t j = 0; j < C; ++j) s += xi[j];
            y[axis == All ? 0 : i] += s;
        }
    }
    if (mean) {
        for (std::size_t k = 0; k < orows * ocols; ++k) y[k] *= n.alpha;
    }
    return out;
}

template <class T>
void transpose_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const std::size_t R = a.value->shape()[0], C = a.value->shape()[1];
    const T* g = n.grad->data();
    T* gx = a.grad->data();
    if (t.accumulating(a)) {
        for (std::size_t i = 0; i < R; ++i)
            for (std::size_t j = 0; j < C; ++j) gx[i * C + j] += g[j * R + i];
    } else {
        for (std::size_t i = 0; i < R; ++i)
            for (std::size_t j = 0; j < C; ++j) gx[i * C + j] = g[j * R + i];
    }
}

}  // namespace

template <class T> Var<T> sum(Var<T> a) { return reduce(a, All, false); }
template <class T> Var<T> mean(Var<T> a) { return reduce(a, All, true); }
template <class T> Var<T> row_sum(Var<T> a) { return reduce(a, Rows, false); }
template <class T> Var<T> row_mean(Var<T> a) { return reduce(a, Rows, true); }
template <class T> Var<T> col_sum(Var<T> a) { return reduce(a, Cols, false); }
template <class T> Var<T> col_mean(Var<T> a) { return reduce(a, Cols, true); }

template <class T>
Var<T> transpose(Var<T> a) {
    const Mat<T>& X = a.value();
    const std::size_t R = X.shape()[0], C = X.shape()[1];
    Var<T> out;
    Node<T>& n = a.tape->push(C, R, {a}, &transpose_backward<T>, out);
    const T* x = X.data();
    T* y = n.own_value.data();
    for (std::size_t i = 0; i < R; ++i)
        for (std::size_t j = 0; j < C; ++j) y[j * R + i] = x[i * C + j];
    return out;
}

AD_INSTANTIATE_UNARY(sum)
AD_INSTANTIATE_UNARY(mean)
AD_INSTANTIATE_UNARY(row_sum)
AD_INSTANTIATE_UNARY(row_mean)
AD_INSTANTIATE_UNARY(col_sum)
AD_INSTANTIATE_UNARY(col_mean)
AD_INSTANTIATE_UNARY(transpose)

}  // namespace ad
