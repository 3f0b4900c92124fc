// Explicit instantiation helpers for the op files: every op exists for double and float.
#pragma once
#define AD_INSTANTIATE_UNARY(NAME)                 \
    template Var<double> NAME<double>(Var<double>); \
    template Var<float> NAME<float>(Var<float>);
#define AD_INSTANTIATE_BINARY(NAME)                             \
    template Var<double> NAME<double>(Var<double>, Var<double>); \
    template Var<float> NAME<float>(Var<float>, Var<float>);
#define AD_INSTANTIATE_SCALAR(NAME)                         \
    template Var<double> NAME<double>(Var<double>, double); \
    template Var<float> NAME<float>(Var<float>, float);
