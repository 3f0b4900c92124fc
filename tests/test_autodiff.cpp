#include <boost/test/unit_test.hpp>

#include "autodiff/gradcheck.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"

using namespace ad;
using M = Mat<double>;

BOOST_AUTO_TEST_CASE(smoke_matmul_gradcheck) {
    Rng rng(1);
    M a({3, 4}), b({4, 2});
    fill_normal(a, rng);
    fill_normal(b, rng);
    auto rep = gradcheck([](Tape<double>&, const std::vector<Var<double>>& v) { return matmul(v[0], v[1]); }, {a, b});
    BOOST_TEST(rep.ok, rep.detail);
}
