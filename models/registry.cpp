// The registries of models/ (models/registry.hpp). To add an alignment loss: write it in
// models/losses.cpp (declared in losses.hpp), add a builder below that calls it with the settings
// it needs, and one entry in alignment_losses(); test it in tests/test_models.cpp.
#include "models/registry.hpp"

#include <stdexcept>

#include "models/encoder.hpp"
#include "models/losses.hpp"

namespace models {
namespace {

// ----------------------------------------------------------- builders of the alignment losses

template <class T>
ad::Var<T> infonce_term(AlignmentLoss<T>& L, ad::Var<T> z1, ad::Var<T> z2) {
    const auto& s = L.settings();
    return infonce(z1, z2, s.temperature, s.cosine, L.arange(z1.rows()));
}

template <class T>
ad::Var<T> regression_term(AlignmentLoss<T>&, ad::Var<T> z1, ad::Var<T> z2) {
    return regression_alignment(z1, z2);
}

template <class T>
ad::Var<T> cca_term(AlignmentLoss<T>& L, ad::Var<T> z1, ad::Var<T> z2) {
    return cca_alignment(z1, z2, L.settings().cca_penalty);
}

template <class T>
ad::Var<T> spectral_term(AlignmentLoss<T>& L, ad::Var<T> z1, ad::Var<T> z2) {
    return L.centred() ? spectral_contrastive_centered(z1, z2) : spectral_contrastive(z1, z2);
}

template <class T>
ad::Var<T> vicreg_term(AlignmentLoss<T>& L, ad::Var<T> z1, ad::Var<T> z2) {
    const auto& s = L.settings();
    return vicreg(z1, z2, s.vicreg_invariance, s.vicreg_variance, s.vicreg_covariance, s.vicreg_gamma);
}

template <class T>
ad::Var<T> barlow_twins_term(AlignmentLoss<T>& L, ad::Var<T> z1, ad::Var<T> z2) {
    return barlow_twins(z1, z2, L.settings().barlow_offdiag);
}

template <class T>
ad::Var<T> siglip_term(AlignmentLoss<T>& L, ad::Var<T> z1, ad::Var<T> z2) {
    return siglip(z1, z2, z1.tape->param(L.log_t()), z1.tape->param(L.bias()), L.signs(z1.rows()));
}

template <class T>
ad::Var<T> no_term(AlignmentLoss<T>& L, ad::Var<T> z1, ad::Var<T>) {
    return L.zero(*z1.tape);
}

}  // namespace

#define ALIGNSIM_BUILDER(f) &f<double>, &f<float>

const std::vector<AlignmentLossEntry>& alignment_losses() {
    using theory::ClosedForm;
    static const std::vector<AlignmentLossEntry> table{
        // name, title, builder, closed form (training set), analytic (population), centring, frozen target, style
        {"infonce", "InfoNCE", ALIGNSIM_BUILDER(infonce_term), ClosedForm::none, ClosedForm::cca, Centring::never, false,
         {"#1f77b4", "infonce"}},
        {"regression", "regression", ALIGNSIM_BUILDER(regression_term), ClosedForm::regression, ClosedForm::regression,
         Centring::never, true, {"#ff7f0e", "regression"}},
        {"cca", "CCA", ALIGNSIM_BUILDER(cca_term), ClosedForm::cca, ClosedForm::cca, Centring::always, false,
         {"#2ca02c", "cca"}},
        {"spectral", "spectral contrastive", ALIGNSIM_BUILDER(spectral_term), ClosedForm::spectral, ClosedForm::spectral,
         Centring::by_option, false, {"#d62728", "spectral"}},
        // numerical optima in moment space (theory/second_moment.hpp)
        // (VICReg's invariance term is not centred: a shift of one code changes it; its certificate
        // takes the centred moments with the set's means, theory/objective.cpp)
        {"vicreg", "VICReg", ALIGNSIM_BUILDER(vicreg_term), ClosedForm::vicreg, ClosedForm::vicreg, Centring::never, false,
         {"#9467bd", "vicreg"}},
        {"barlow_twins", "Barlow Twins", ALIGNSIM_BUILDER(barlow_twins_term), ClosedForm::barlow_twins,
         ClosedForm::barlow_twins, Centring::always, false, {"#8c564b", "barlow twins"}},
        {"siglip", "SigLIP", ALIGNSIM_BUILDER(siglip_term), ClosedForm::none, ClosedForm::cca, Centring::never, false,
         {"#17becf", "siglip"}},
        {"none", "none", ALIGNSIM_BUILDER(no_term), ClosedForm::no_alignment, ClosedForm::no_alignment, Centring::never,
         false, {"#7f7f7f", "none"}},
    };
    return table;
}

#undef ALIGNSIM_BUILDER

const AlignmentLossEntry* find_alignment_loss(const std::string& name) {
    for (const auto& e : alignment_losses())
        if (name == e.name) return &e;
    return nullptr;
}

std::vector<std::string> alignment_loss_names() {
    std::vector<std::string> out;
    for (const auto& e : alignment_losses()) out.push_back(e.name);
    return out;
}

namespace {
// "a, b or c"
std::string one_of(const std::vector<std::string>& names) {
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i)
        list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    return list;
}
}  // namespace

const AlignmentLossEntry& alignment_loss(const std::string& name) {
    if (const AlignmentLossEntry* e = find_alignment_loss(name)) return *e;
    throw std::invalid_argument("unknown alignment loss '" + name + "' (expected " + one_of(alignment_loss_names()) + ")");
}

// ------------------------------------------------------------------------------- encoders

const std::vector<EncoderEntry>& encoders() {
    static const std::vector<EncoderEntry> table{
        // name, builder, linear, hidden layers, style
        {"linear", &make_linear_encoder<double>, &make_linear_encoder<float>, true, false, {"#1f77b4", "linear"}},
        {"mlp", &make_mlp_encoder<double>, &make_mlp_encoder<float>, false, true, {"#d62728", "mlp"}},
        {"cnn", &make_cnn_encoder<double>, &make_cnn_encoder<float>, false, false, {"#2ca02c", "cnn"}},
    };
    return table;
}

const EncoderEntry* find_encoder(const std::string& name) {
    for (const auto& e : encoders())
        if (name == e.name) return &e;
    return nullptr;
}

std::vector<std::string> encoder_names() {
    std::vector<std::string> out;
    for (const auto& e : encoders()) out.push_back(e.name);
    return out;
}

const EncoderEntry& encoder(const std::string& name) {
    if (const EncoderEntry* e = find_encoder(name)) return *e;
    throw std::invalid_argument("unknown encoder kind '" + name + "' (expected " + one_of(encoder_names()) + ")");
}

}  // namespace models
