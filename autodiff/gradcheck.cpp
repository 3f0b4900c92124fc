#include "autodiff/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"

namespace ad {

GradcheckReport gradcheck(const GradcheckFn& f, const std::vector<Mat<double>>& inputs,
                          const GradcheckOptions& opt) {
    std::vector<Param<double>> params;
    params.reserve(inputs.size());
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        params.emplace_back("x" + std::to_string(k), inputs[k].shape()[0], inputs[k].shape()[1]);
        params.back().value = inputs[k];
    }
    Tape<double> tape;
    Mat<double> proj;
    bool have_proj = false;

    auto evaluate = [&](bool with_backward) -> double {
        tape.reset();
        std::vector<Var<double>> vars;
        for (auto& p : params) vars.push_back(tape.param(p));
        Var<double> out = f(tape, vars);
        if (out.value().size() != 1) {
            if (!have_proj) {
                proj = Mat<double>(out.value().shape());
                Rng rng(opt.seed);
                fill_normal(proj, rng, 0.0, 1.0);
                have_proj = true;
            }
            out = sum(mul(out, tape.constant(proj)));
        }
        if (with_backward) {
            for (auto& p : params) p.zero_grad();
            tape.backward(out);
        }
        return out.item();
    };

    evaluate(true);
    std::vector<Mat<double>> analytic;
    for (auto& p : params) analytic.push_back(p.grad);

    GradcheckReport rep;
    double worst = -1;
    for (std::size_t k = 0; k < params.size(); ++k) {
        Mat<double>& x = params[k].value;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double x0 = x.data()[i];
            x.data()[i] = x0 + opt.h;
            const double fp = evaluate(false);
            x.data()[i] = x0 - opt.h;
            const double fm = evaluate(false);
            x.data()[i] = x0;
            const double num = (fp - fm) / (2 * opt.h);
            const double ana = analytic[k].data()[i];
            const double abs_err = std::abs(ana - num);
            const double scale = std::max(std::abs(ana), std::abs(num));
            const double rel_err = scale > 0 ? abs_err / scale : 0.0;
            const double excess = abs_err - (opt.atol + opt.rtol * scale);
            rep.max_abs_err = std::max(rep.max_abs_err, abs_err);
            rep.max_rel_err = std::max(rep.max_rel_err, rel_err);
            if (!std::isfinite(ana) || !std::isfinite(num) || excess > 0) rep.ok = false;
            if (excess > worst || !std::isfinite(ana)) {
                worst = std::isfinite(ana) ? excess : 1e300;
                std::ostringstream os;
                os << "input " << k << " entry " << i << ": analytic " << ana << ", numeric " << num;
                rep.detail = os.str();
            }
        }
    }
    return rep;
}

}  // namespace ad
