#include "models/encoder.hpp"
#include "models/registry.hpp"

#include <stdexcept>

#include "autodiff/ops.hpp"

namespace models {

// The parameters of a stack of layers, each weight followed by its bias (the order the
// optimiser state and the saved weights follow).
template <class T>
std::vector<ad::Param<T>*> layer_params(std::vector<ad::Param<T>>& w, std::vector<ad::Param<T>>& b) {
    std::vector<ad::Param<T>*> p;
    for (std::size_t l = 0; l < w.size(); ++l) {
        p.push_back(&w[l]);
        p.push_back(&b[l]);
    }
    return p;
}
namespace {

template <class T>
class LinearEncoder final : public Encoder<T> {
public:
    LinearEncoder(std::size_t in, std::size_t out, ad::Rng& rng) : w_("W", out, in) {
        ad::xavier_uniform(w_.value, rng);
    }
    ad::Var<T> forward(ad::Tape<T>& tape, ad::Var<T> x) override {
        if (x.cols() != w_.value.shape()[1])
            throw std::invalid_argument("linear encoder: input has " + std::to_string(x.cols()) +
                                        " columns, expected " + std::to_string(w_.value.shape()[1]));
        return ad::matmul(x, tape.param(w_), false, true);  // Z = X W^T
    }
    std::vector<ad::Param<T>*> params() override { return {&w_}; }
    const ad::Mat<T>* linear_weight() const override { return &w_.value; }

private:
    ad::Param<T> w_;
};

enum class Act { Relu, LeakyRelu, Tanh, Sigmoid, Softplus };

Act parse_activation(const std::string& a) {
    if (a == "relu") return Act::Relu;
    if (a == "leaky_relu") return Act::LeakyRelu;
    if (a == "tanh") return Act::Tanh;
    if (a == "sigmoid") return Act::Sigmoid;
    if (a == "softplus") return Act::Softplus;
    throw std::invalid_argument("unknown activation '" + a +
                                "' (expected relu, leaky_relu, tanh, sigmoid or softplus)");
}

template <class T>
class MlpEncoder final : public Encoder<T> {
public:
    MlpEncoder(const EncoderSpec& spec, ad::Rng& rng) : act_(parse_activation(spec.activation)) {
        std::vector<std::size_t> dims{spec.in_dim};
        dims.insert(dims.end(), spec.hidden.begin(), spec.hidden.end());
        dims.push_back(spec.out_dim);
        const bool he = act_ == Act::Relu || act_ == Act::LeakyRelu;
        const std::size_t L = dims.size() - 1;
        w_.reserve(L);
        b_.reserve(L);
        for (std::size_t l = 0; l < L; ++l) {
            if (dims[l] == 0 || dims[l + 1] == 0)
                throw std::invalid_argument("mlp encoder: every layer width must be positive");
            w_.emplace_back("W" + std::to_string(l), dims[l + 1], dims[l]);
            b_.emplace_back("b" + std::to_string(l), 1, dims[l + 1]);
            // He for the relu family on hidden layers; the last layer is linear: Xavier.
            if (he && l + 1 < L) ad::he_normal(w_.back().value, rng);
            else ad::xavier_uniform(w_.back().value, rng);
        }
    }
    ad::Var<T> forward(ad::Tape<T>& tape, ad::Var<T> x) override {
        if (x.cols() != w_.front().value.shape()[1])
            throw std::invalid_argument("mlp encoder: input has " + std::to_string(x.cols()) +
                                        " columns, expected " +
                                        std::to_string(w_.front().value.shape()[1]));
        ad::Var<T> h = x;
        for (std::size_t l = 0; l < w_.size(); ++l) {
            const bool last = l + 1 == w_.size();
            if (!last && act_ == Act::Relu) {
                h = ad::affine_relu(h, tape.param(w_[l]), tape.param(b_[l]));  // fused, one node
            } else {
                h = ad::affine(h, tape.param(w_[l]), tape.param(b_[l]));  // h W^T + b
                if (!last) h = activate(h);
            }
        }
        return h;
    }
    std::vector<ad::Param<T>*> params() override { return layer_params(w_, b_); }

private:
    ad::Var<T> activate(ad::Var<T> h) const {
        switch (act_) {
            case Act::Relu: return ad::relu(h);
            case Act::LeakyRelu: return ad::leaky_relu(h, T(0.01));
            case Act::Tanh: return ad::tanh(h);
            case Act::Sigmoid: return ad::sigmoid(h);
            case Act::Softplus: return ad::softplus(h);
        }
        return h;
    }
    Act act_;
    std::vector<ad::Param<T>> w_, b_;
};

template <class T>
class CnnEncoder final : public Encoder<T> {
public:
    CnnEncoder(const EncoderSpec& spec, ad::Rng& rng) {
        auto bad = [](const std::string& m) { throw std::invalid_argument("cnn encoder: " + m); };
        const std::size_t L = spec.cnn_channels.size();
        if (L == 0) bad("no convolution layer (cnn_channels is empty)");
        if (spec.cnn_kernels.size() != L || spec.cnn_strides.size() != L)
            bad("cnn_channels, cnn_kernels and cnn_strides must have the same length");
        if (spec.pooling != "max" && spec.pooling != "avg" && spec.pooling != "none")
            bad("unknown pooling '" + spec.pooling + "' (expected max, avg or none)");
        pool_ = spec.pooling == "max" ? 1 : spec.pooling == "avg" ? 2 : 0;
        in_ = ad::ImageShape{spec.image_height, spec.image_width, spec.image_channels};
        if (in_.size() == 0 || in_.size() != spec.in_dim)
            bad("input rows of " + std::to_string(spec.in_dim) + " entries are not " + std::to_string(in_.height) +
                " x " + std::to_string(in_.width) + " x " + std::to_string(in_.channels) + " images");
        ad::ImageShape cur = in_;
        w_.reserve(L + 1);
        b_.reserve(L + 1);
        for (std::size_t l = 0; l < L; ++l) {
            Layer ly;
            ly.in = cur;
            ly.kernel = spec.cnn_kernels[l];
            ly.stride = spec.cnn_strides[l];
            ly.padding = ly.kernel / 2;
            if (spec.cnn_channels[l] == 0 || ly.kernel == 0 || ly.stride == 0)
                bad("channels, kernels and strides must be positive");
            ly.conv = ad::conv2d_shape(cur, spec.cnn_channels[l], ly.kernel, ly.stride, ly.padding);
            cur = ly.conv;
            ly.pool = pool_ != 0 && cur.height >= 2 && cur.width >= 2;
            if (ly.pool) cur = ad::pool2d_shape(cur, 2, 2);
            layers_.push_back(ly);
            w_.emplace_back("conv" + std::to_string(l) + ".W", spec.cnn_channels[l], ly.kernel * ly.kernel * ly.in.channels);
            b_.emplace_back("conv" + std::to_string(l) + ".b", 1, spec.cnn_channels[l]);
            ad::he_normal(w_.back().value, rng);
        }
        flat_ = cur;
        w_.emplace_back("dense.W", spec.out_dim, cur.size());
        b_.emplace_back("dense.b", 1, spec.out_dim);
        ad::xavier_uniform(w_.back().value, rng);
    }
    ad::Var<T> forward(ad::Tape<T>& tape, ad::Var<T> x) override {
        if (x.cols() != in_.size())
            throw std::invalid_argument("cnn encoder: input has " + std::to_string(x.cols()) + " columns, expected " +
                                        std::to_string(in_.size()));
        ad::Var<T> h = x;
        for (std::size_t l = 0; l < layers_.size(); ++l) {
            const Layer& ly = layers_[l];
            h = ad::conv2d(h, ly.in, tape.param(w_[l]), tape.param(b_[l]), ly.kernel, ly.stride, ly.padding, true);
            if (ly.pool) h = pool_ == 1 ? ad::max_pool2d(h, ly.conv, 2, 2) : ad::avg_pool2d(h, ly.conv, 2, 2);
        }
        return ad::affine(ad::flatten(h, flat_), tape.param(w_.back()), tape.param(b_.back()));
    }
    std::vector<ad::Param<T>*> params() override { return layer_params(w_, b_); }
    std::size_t eval_block_rows() const override { return 512; }

private:
    struct Layer {
        ad::ImageShape in, conv;  // the layer's input, and its convolution's output
        std::size_t kernel = 0, stride = 1, padding = 0;
        bool pool = false;
    };
    ad::ImageShape in_, flat_;
    int pool_ = 0;  // 0 none, 1 max, 2 avg
    std::vector<Layer> layers_;
    std::vector<ad::Param<T>> w_, b_;  // the convolutions', then the dense layer's
};

}  // namespace

template <class T>
std::unique_ptr<Encoder<T>> make_encoder(const EncoderSpec& spec, ad::Rng& rng) {
    if (spec.in_dim == 0 || spec.out_dim == 0)
        throw std::invalid_argument("encoder: input and output dimensions must be positive");
    return encoder(spec.kind).builder<T>()(spec, rng);
}

template <class T>
std::unique_ptr<Encoder<T>> make_linear_encoder(const EncoderSpec& spec, ad::Rng& rng) {
    return std::make_unique<LinearEncoder<T>>(spec.in_dim, spec.out_dim, rng);
}

template <class T>
std::unique_ptr<Encoder<T>> make_mlp_encoder(const EncoderSpec& spec, ad::Rng& rng) {
    return std::make_unique<MlpEncoder<T>>(spec, rng);
}

template <class T>
std::unique_ptr<Encoder<T>> make_cnn_encoder(const EncoderSpec& spec, ad::Rng& rng) {
    return std::make_unique<CnnEncoder<T>>(spec, rng);
}

#define MODELS_ENCODERS(T)                                                                  \
    template std::unique_ptr<Encoder<T>> make_encoder<T>(const EncoderSpec&, ad::Rng&);        \
    template std::unique_ptr<Encoder<T>> make_linear_encoder<T>(const EncoderSpec&, ad::Rng&); \
    template std::unique_ptr<Encoder<T>> make_mlp_encoder<T>(const EncoderSpec&, ad::Rng&);    \
    template std::unique_ptr<Encoder<T>> make_cnn_encoder<T>(const EncoderSpec&, ad::Rng&);
MODELS_ENCODERS(double)
MODELS_ENCODERS(float)

}  // namespace models
