// The registries of models/: one table per kind of named thing a config chooses, each entry
// holding everything the rest of the code asks about that name. Adding an alignment loss is one
// entry in alignment_losses() (models/registry.cpp) plus its code in models/losses.cpp and its
// tests; the config's choices (sim/config/config.cpp), the trainer, the closed forms (theory/
// through ClosedForm) and the figures' colours (sim/plot/style.cpp) all read the entry.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"
#include "theory/forms.hpp"

namespace models {

template <class T>
class AlignmentLoss;

// The term of a loss on one batch: builder(loss, z1, z2), with loss's settings and buffers.
template <class T>
using AlignmentFn = ad::Var<T> (*)(AlignmentLoss<T>&, ad::Var<T>, ad::Var<T>);

// Whether a loss is a function of the batch-centred codes (then its closed form takes the centred
// moments and its optimum over all encoders is among the non-constant functions).
enum class Centring {
    never,
    always,
    by_option,  // as objective.spectral_centering says ("batch": centred)
};

// How sim/plot draws a name: its colour and its label in legends.
struct FigureStyle {
    const char* colour;
    const char* label;
};

struct AlignmentLossEntry {
    const char* name;   // the value of objective.alignment
    const char* title;  // in sentences: "the InfoNCE loss has no closed-form optimum"
    AlignmentFn<double> build64;
    AlignmentFn<float> build32;
    // The optimum of the training objective on a training set (the run's certificate):
    // ClosedForm::none when there is none, no_alignment for "none" (no term at all).
    theory::ClosedForm closed_form;
    // The population optimum the analytic side reports for it (InfoNCE: the CCA optimum, its
    // known limit); no_alignment when there is none.
    theory::ClosedForm analytic;
    Centring centring;
    bool frozen_target;  // z2 is the output of a frozen target encoder (regression alignment)
    FigureStyle style;

    template <class T>
    AlignmentFn<T> builder() const;
    // true for every loss but "none"
    bool has_term() const { return closed_form != theory::ClosedForm::no_alignment; }
    bool centred(const std::string& spectral_centering) const {
        return centring == Centring::always || (centring == Centring::by_option && spectral_centering == "batch");
    }
};
template <>
inline AlignmentFn<double> AlignmentLossEntry::builder<double>() const { return build64; }
template <>
inline AlignmentFn<float> AlignmentLossEntry::builder<float>() const { return build32; }

// Every alignment loss, in the order of the config's choices.
const std::vector<AlignmentLossEntry>& alignment_losses();
// The entry of a name, or nullptr.
const AlignmentLossEntry* find_alignment_loss(const std::string& name);
// The entry of a name; throws std::invalid_argument naming the choices when there is none.
const AlignmentLossEntry& alignment_loss(const std::string& name);
std::vector<std::string> alignment_loss_names();

// ------------------------------------------------------------------------------- encoders

struct EncoderSpec;
template <class T>
class Encoder;
template <class T>
using EncoderFn = std::unique_ptr<Encoder<T>> (*)(const EncoderSpec&, ad::Rng&);

struct EncoderEntry {
    const char* name;  // the value of model.encoder
    EncoderFn<double> build64;
    EncoderFn<float> build32;
    bool linear;         // z = W x: the closed forms of the linear model apply to it
    bool hidden_layers;  // reads model.hidden and model.activation
    FigureStyle style;

    template <class T>
    EncoderFn<T> builder() const;
};
template <>
inline EncoderFn<double> EncoderEntry::builder<double>() const { return build64; }
template <>
inline EncoderFn<float> EncoderEntry::builder<float>() const { return build32; }

const std::vector<EncoderEntry>& encoders();
const EncoderEntry* find_encoder(const std::string& name);
const EncoderEntry& encoder(const std::string& name);  // throws std::invalid_argument
std::vector<std::string> encoder_names();

}  // namespace models
