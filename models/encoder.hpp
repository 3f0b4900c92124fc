// Encoders: z = f(x) for a batch of rows x (batch x d_in) -> z (batch x dim).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"

namespace models {

struct EncoderSpec {
    std::string kind = "linear";        // "linear" | "mlp"
    std::size_t in_dim = 0, out_dim = 0;
    std::vector<std::size_t> hidden;    // mlp hidden widths
    std::string activation = "relu";    // relu | leaky_relu | tanh | sigmoid | softplus
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
};

// Linear: one weight W (out x in), no bias (the data are centred). MLP: weights and biases per
// layer, activation between layers, none after the last. Initialised from rng (Xavier for
// linear, He for relu-family MLPs, Xavier otherwise).
// The encoder of spec.kind, an entry of encoders() (models/registry.cpp); throws
// std::invalid_argument on an unknown kind or a zero dimension.
template <class T>
std::unique_ptr<Encoder<T>> make_encoder(const EncoderSpec& spec, ad::Rng& rng);
// The builders of the registry's entries.
template <class T>
std::unique_ptr<Encoder<T>> make_linear_encoder(const EncoderSpec& spec, ad::Rng& rng);
template <class T>
std::unique_ptr<Encoder<T>> make_mlp_encoder(const EncoderSpec& spec, ad::Rng& rng);

}  // namespace models
