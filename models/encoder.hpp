// Encoders: z = f(x) for a batch of rows x (batch x d_in) -> z (batch x dim).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"

namespace models {

struct EncoderSpec {
    std::string kind = "linear";        // "linear" | "mlp" | "cnn"
    std::size_t in_dim = 0, out_dim = 0;
    std::vector<std::size_t> hidden;    // mlp hidden widths
    std::string activation = "relu";    // relu | leaky_relu | tanh | sigmoid | softplus
    // cnn: each input row is an image_height x image_width x image_channels image (channels last,
    // in_dim = their product). Layer l: cnn_channels[l] filters of cnn_kernels[l] x cnn_kernels[l],
    // stride cnn_strides[l], zero padding cnn_kernels[l] / 2, ReLU, then a 2 x 2 pooling of stride
    // 2 ("max" or "avg"; "none", or a side already below 2: no pooling); then flatten and one
    // dense layer to out_dim.
    std::size_t image_height = 0, image_width = 0, image_channels = 1;
    std::vector<std::size_t> cnn_channels, cnn_kernels, cnn_strides;
    std::string pooling = "max";
};

template <class T>
class Encoder {
public:
    virtual ~Encoder() = default;
    virtual ad::Var<T> forward(ad::Tape<T>& tape, ad::Var<T> x) = 0;
    virtual std::vector<ad::Param<T>*> params() = 0;
    // Linear encoders: the p x d_in matrix W of z = W x (rows of the batch: Z = X W^T).
    // nullptr for other encoders.
    virtual const ad::Mat<T>* linear_weight() const { return nullptr; }
    // Rows per forward when a whole data set is encoded block by block (the activations of a
    // convolutional encoder are wide: smaller blocks keep them in memory).
    virtual std::size_t eval_block_rows() const { return 4096; }
};

// Linear: one weight W (out x in), no bias (the data are centred). MLP: weights and biases per
// layer, activation between layers, none after the last. Initialised from rng (Xavier for
// linear, He for relu-family MLPs, Xavier otherwise). CNN: convolutions with biases, He-initialised
// (fan-in kernel^2 x channels), zero biases, the last dense layer Xavier.
// The encoder of spec.kind, an entry of encoders() (models/registry.cpp); throws
// std::invalid_argument on an unknown kind, a zero dimension or an inconsistent spec.
template <class T>
std::unique_ptr<Encoder<T>> make_encoder(const EncoderSpec& spec, ad::Rng& rng);
// The builders of the registry's entries.
template <class T>
std::unique_ptr<Encoder<T>> make_linear_encoder(const EncoderSpec& spec, ad::Rng& rng);
template <class T>
std::unique_ptr<Encoder<T>> make_mlp_encoder(const EncoderSpec& spec, ad::Rng& rng);
template <class T>
std::unique_ptr<Encoder<T>> make_cnn_encoder(const EncoderSpec& spec, ad::Rng& rng);

}  // namespace models
