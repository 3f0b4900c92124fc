// Shared main of the test executables: Boost.Test's, plus the BLAS kernel check the alignsim
// command does, so tests run on the fast kernel without any variable set in scripts.
#define BOOST_TEST_MODULE alignsim
#include <boost/test/unit_test.hpp>

#include "autodiff/blas.hpp"

struct FastBlas {
    FastBlas() {
        auto& s = boost::unit_test::framework::master_test_suite();
        ad::blas::ensure_fast_kernel(s.argc, s.argv);
        ad::blas::set_threads(1);
    }
};
BOOST_TEST_GLOBAL_FIXTURE(FastBlas);
