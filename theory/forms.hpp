// The closed forms theory/ knows for an alignment loss. The registry of alignment losses
// (models/registry.cpp) says which one each loss has; theory/ never sees a loss's name, so a loss
// without a closed form is answered "no closed form", never an error.
#pragma once

namespace theory {

enum class ClosedForm {
    no_alignment,  // no alignment term at all (objective.alignment = "none")
    none,          // an alignment loss without a closed-form optimum (e.g. InfoNCE)
    regression,    // E|W1 x1 - W2 x2|^2 to a frozen target encoder W2
    cca,           // canonical correlation analysis (whitened codes)
    spectral,      // spectral contrastive (HaoChen et al. 2021)
    vicreg,        // VICReg: a numerical optimum in moment space (theory/second_moment.hpp)
    barlow_twins,  // Barlow Twins: likewise
};

// The name of a closed form as theory/'s functions take it (aligned_encoder, alignment_loss):
// "regression", "cca" or "spectral"; "" for no_alignment and none.
inline const char* closed_form_name(ClosedForm f) {
    switch (f) {
        case ClosedForm::regression: return "regression";
        case ClosedForm::cca: return "cca";
        case ClosedForm::spectral: return "spectral";
        case ClosedForm::vicreg: return "vicreg";
        case ClosedForm::barlow_twins: return "barlow_twins";
        default: return "";
    }
}

}  // namespace theory
