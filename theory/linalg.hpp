// theory/ reads the shared linear-algebra layer (autodiff/linalg.hpp) as theory::la.
#pragma once
#include "autodiff/linalg.hpp"

namespace theory {
namespace la = ad::la;
}  // namespace theory
