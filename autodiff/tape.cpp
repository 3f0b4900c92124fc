#include "autodiff/tape.hpp"

#include <stdexcept>

namespace ad {

template <class T>
Param<T>::Param(std::string n, std::size_t rows, std::size_t cols)
    : value(Shape{rows, cols}), grad(Shape{rows, cols}), name(std::move(n)) {
    value.fill(T(0));
    grad.fill(T(0));
}

template <class T>
void Param<T>::zero_grad() {
    ensure_shape(grad, value.shape()[0], value.shape()[1]);
    grad.fill(T(0));
}

template <class T>
const Mat<T>& Var<T>::value() const {
    return *tape->node(id).value;
}
template <class T>
Mat<T>* Var<T>::grad() const {
    return tape->node(id).grad;
}
template <class T>
T Var<T>::item() const {
    const Mat<T>& v = value();
    if (v.size() != 1) throw std::logic_error("item() on a node that is not 1x1");
    return v(0, 0);
}

template <class T>
Node<T>& Tape<T>::next(Var<T>& out) {
    if (cursor_ == nodes_.size()) nodes_.emplace_back();
    Node<T>& n = nodes_[cursor_];
    n.in = {-1, -1, -1};
    n.alpha = n.beta = T(0);
    n.iarg = 0;
    n.labels = nullptr;
    n.backward = nullptr;
    n.grad_written = false;
    out.tape = this;
    out.id = static_cast<int>(cursor_);
    ++cursor_;
    return n;
}

template <class T>
Var<T> Tape<T>::param(Param<T>& p) {
    Var<T> v;
    Node<T>& n = next(v);
    if (p.grad.shape() != p.value.shape()) p.zero_grad();
    n.value = &p.value;
    n.grad = &p.grad;
    n.grad_written = true;
    return v;
}

template <class T>
Var<T> Tape<T>::constant(const Mat<T>& x) {
    Var<T> v;
    Node<T>& n = next(v);
    n.value = &x;
    n.grad = nullptr;
    return v;
}

template <class T>
Node<T>& Tape<T>::push(std::size_t rows, std::size_t cols, std::initializer_list<Var<T>> inputs,
                       BackwardFn<T> backward, Var<T>& out) {
    bool needs_grad = false;
    int k = 0;
    std::array<int, 3> ids{-1, -1, -1};
    for (const Var<T>& v : inputs) {
        if (v.tape != this) throw std::logic_error("an op mixes nodes of different tapes");
        ids[static_cast<std::size_t>(k++)] = v.id;
        needs_grad = needs_grad || nodes_[static_cast<std::size_t>(v.id)].grad != nullptr;
    }
    Node<T>& n = next(out);
    n.in = ids;
    n.backward = backward;
    if (n.own_value.shape()[0] != rows || n.own_value.shape()[1] != cols) {
        n.own_value.resize(Shape{rows, cols});
        ++allocations_;
    }
    n.value = &n.own_value;
    if (needs_grad) {
        if (n.own_grad.shape() != n.own_value.shape()) {
            n.own_grad.resize(Shape{rows, cols});
            ++allocations_;
        }
        n.grad = &n.own_grad;  // zeroed lazily, by the first backward that writes it
    } else {
        n.grad = nullptr;
    }
    return n;
}

template <class T>
void Tape<T>::backward(Var<T> loss) {
    if (loss.tape != this) throw std::logic_error("backward() on a node of another tape");
    Node<T>& top = node(loss.id);
    if (top.value->size() != 1) throw std::logic_error("backward() needs a 1x1 loss");
    if (top.grad == nullptr) return;  // nothing to differentiate
    walk_back(loss.id, [](T* g, std::size_t) { *g += T(1); });
}

template <class T>
void Tape<T>::backward_from(Var<T> out, const Mat<T>& seed) {
    if (out.tape != this) throw std::logic_error("backward_from() on a node of another tape");
    Node<T>& top = node(out.id);
    if (seed.shape() != top.value->shape()) throw std::invalid_argument("backward_from: the seed's shape is not the node's");
    if (top.grad == nullptr) return;
    walk_back(out.id, [&](T* g, std::size_t n) {
        const T* s = seed.data();
        for (std::size_t i = 0; i < n; ++i) g[i] += s[i];
    });
}

template <class T>
template <class Seed>
void Tape<T>::walk_back(int top_id, Seed seed) {
    Node<T>& top = node(top_id);
    // Nodes recorded after the top take no part: give them zero gradients, not stale ones.
    for (std::size_t i = cursor_; i-- > static_cast<std::size_t>(top_id) + 1;) {
        Node<T>& n = nodes_[i];
        if (n.grad != nullptr && !n.grad_written) grad_acc(n);
    }
    seed(grad_acc(top), top.grad->size());
    for (int i = top_id; i >= 0; --i) {
        Node<T>& n = node(i);
        if (n.grad == nullptr) continue;
        // A gradient nobody wrote: the node does not reach the loss. Zero it and skip its
        // backward (it would only propagate zeros).
        if (!n.grad_written) {
            grad_acc(n);
            continue;
        }
        if (n.backward != nullptr) n.backward(*this, n);
    }
}

template struct Param<double>;
template struct Param<float>;
template class Tape<double>;
template class Tape<float>;
template struct Var<double>;
template struct Var<float>;

}  // namespace ad
