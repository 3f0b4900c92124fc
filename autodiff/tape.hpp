// Reverse-mode automatic differentiation on a tape (see docs/engine.md).
//
// A Tape records one node per tensor operation, in creation order. backward() walks it from the
// loss down to the first node, and each node's backward function *accumulates* into the
// gradients of its inputs. Between steps, reset() rewinds the tape but keeps every node's
// buffers: a model of fixed shapes allocates on its first step only.
#pragma once
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

#include "autodiff/tensor.hpp"

namespace ad {

template <class T>
class Tape;
template <class T>
struct Node;

// A leaf that is learned: value and accumulated gradient live here, outside any tape.
template <class T>
struct Param {
    Mat<T> value;
    Mat<T> grad;
    std::string name;
    Param() = default;
    Param(std::string n, std::size_t rows, std::size_t cols);
    void zero_grad();
    std::size_t size() const { return value.size(); }
};

template <class T>
using BackwardFn = void (*)(Tape<T>&, Node<T>&);

// The geometry of an image op (autodiff/op_conv.cpp, autodiff/op_pool.cpp): every row of its
// input and output is one image in height x width x channels order (channels last).
struct ImageGeometry {
    std::size_t batch = 0;
    std::size_t in_h = 0, in_w = 0, in_c = 0;     // input image
    std::size_t out_h = 0, out_w = 0, out_c = 0;  // output image
    std::size_t kernel = 0, stride = 1, padding = 0;
    std::size_t chunk = 0;  // conv2d: images per im2col block
};

template <class T>
struct Node {
    Mat<T> own_value, own_grad;  // storage for intermediates, reused step after step
    Mat<T> aux, aux2;            // op-specific caches (softmax, norms, masks...)
    const Mat<T>* value = nullptr;  // own_value, a parameter's value or a constant
    Mat<T>* grad = nullptr;         // nullptr when no gradient flows here
    std::array<int, 3> in{-1, -1, -1};
    T alpha = 0, beta = 0;  // op scalars (scale factor, slope, epsilon...)
    int iarg = 0;           // op integer flag (e.g. transposes of matmul)
    const std::vector<int>* labels = nullptr;
    // Image ops: their geometry; conv2d's im2col block and its gradient (cached, reused every
    // step); max pooling's winners (the input offset each output entry was taken from).
    ImageGeometry image;
    Mat<T> im2col, im2col_grad;
    std::vector<std::uint32_t> pool_argmax;
    BackwardFn<T> backward = nullptr;
    // False from the node's creation until a backward function first writes its gradient: the
    // buffer is then garbage and is overwritten (BLAS beta = 0) instead of zero-filled and
    // accumulated into. Always true for parameters (their gradient accumulates across calls).
    bool grad_written = false;
};

// A handle to a node of a tape: cheap to copy.
template <class T>
struct Var {
    Tape<T>* tape = nullptr;
    int id = -1;
    const Mat<T>& value() const;
    Mat<T>* grad() const;  // nullptr if no gradient is tracked for this node
    std::size_t rows() const { return value().shape()[0]; }
    std::size_t cols() const { return value().shape()[1]; }
    T item() const;  // the value of a 1x1 node
    bool requires_grad() const { return grad() != nullptr; }
};

template <class T>
class Tape {
public:
    // Starts a new step: the next node created reuses the storage of the first, and so on.
    void reset() { cursor_ = 0; }
    // A learned leaf: gradients accumulate into p.grad (call zero_grad on parameters yourself,
    // or let the optimiser do it).
    Var<T> param(Param<T>& p);
    // A leaf without gradient. x is referenced, not copied: it must outlive the step.
    Var<T> constant(const Mat<T>& x);
    // Walks the tape backwards from a 1x1 loss, seeding d loss / d loss = 1.
    void backward(Var<T> loss);
    // The same from any node `out`, seeded with d L / d out = seed (out's shape): the backward
    // of a part of a larger computation whose downstream part lives on another tape (the
    // trainer runs two encoders on two tapes, on two threads, and joins them at the loss).
    void backward_from(Var<T> out, const Mat<T>& seed);

    // For op implementations: the next node, shaped rows x cols, with a gradient buffer if any
    // input needs one (not zeroed: see accumulating() and grad_acc()). The reference stays
    // valid for the life of the tape.
    Node<T>& push(std::size_t rows, std::size_t cols, std::initializer_list<Var<T>> inputs,
                  BackwardFn<T> backward, Var<T>& out);
    Node<T>& node(int id) { return nodes_[static_cast<std::size_t>(id)]; }
    const Node<T>& node(int id) const { return nodes_[static_cast<std::size_t>(id)]; }
    std::size_t size() const { return cursor_; }

    // For backward functions, before writing into the gradient of input a:
    // accumulating(a) says whether a's gradient already holds a contribution this step (then
    // add to it, BLAS beta = 1) or not (then overwrite every entry, beta = 0); either way it
    // marks the gradient as written. grad_acc(a) is the simple alternative: it zero-fills an
    // unwritten gradient and returns its storage, ready for +=.
    bool accumulating(Node<T>& a) {
        const bool w = a.grad_written;
        a.grad_written = true;
        return w;
    }
    T* grad_acc(Node<T>& a) {
        if (!a.grad_written) {
            a.grad->fill(T(0));
            a.grad_written = true;
        }
        return a.grad->data();
    }
    // Shapes an op's cache buffer, counting a (re)allocation only when the shape changes.
    void ensure(Mat<T>& m, std::size_t rows, std::size_t cols) {
        if (m.shape()[0] != rows || m.shape()[1] != cols) {
            m.resize(Shape{rows, cols});
            ++allocations_;
        }
    }
    // Number of times a node buffer had to be (re)allocated; constant after the first step of a
    // fixed-shape model (the tests check it).
    std::size_t buffer_allocations() const { return allocations_; }

private:
    Node<T>& next(Var<T>& out);
    // backward's walk from node top_id down, after seed(gradient storage, size) seeds the top.
    template <class Seed>
    void walk_back(int top_id, Seed seed);
    std::deque<Node<T>> nodes_;  // a deque keeps node references stable as it grows
    std::size_t cursor_ = 0;
    std::size_t allocations_ = 0;
    friend struct Var<T>;
};

extern template struct Param<double>;
extern template struct Param<float>;
extern template class Tape<double>;
extern template class Tape<float>;
extern template struct Var<double>;
extern template struct Var<float>;

}  // namespace ad
