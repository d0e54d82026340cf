// SPDX-License-Identifier: Apache-2.0
//
// bench/itk_filters: ITK 5.2's equivalents of the lines of bench/filters,
// on the same 256^3 f32 image (the same formula), at the same thread
// count, printed under the same names so that bench/run-filters.sh can
// put the two side by side. Built only with --with-itk-bench=DIR; never
// part of the library.
//
// Usage: bench/itk_filters [threads [repeats [size [name...]]]]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "itkAffineTransform.h"
#include "itkBSplineInterpolateImageFunction.h"
#include "itkBinaryThresholdImageFilter.h"
#include "itkDiscreteGaussianImageFilter.h"
#include "itkGradientImageFilter.h"
#include "itkGradientMagnitudeImageFilter.h"
#include "itkGradientMagnitudeRecursiveGaussianImageFilter.h"
#include "itkImage.h"
#include "itkLaplacianImageFilter.h"
#include "itkLinearInterpolateImageFunction.h"
#include "itkMeanImageFilter.h"
#include "itkMedianImageFilter.h"
#include "itkMultiThreaderBase.h"
#include "itkNearestNeighborInterpolateImageFunction.h"
#include "itkRecursiveGaussianImageFilter.h"
#include "itkResampleImageFilter.h"
#include "itkSmoothingRecursiveGaussianImageFilter.h"
#include "itkWarpImageFilter.h"

using Image = itk::Image<float, 3>;
using Field = itk::Image<itk::Vector<float, 3>, 3>;

static double
now()
{
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch())
        .count();
}

// The test image: the formula of bench/filters.c.
static Image::Pointer
make_image(unsigned n)
{
    Image::Pointer img = Image::New();
    Image::SizeType size = { { n, n, n } };
    img->SetRegions(size);
    img->Allocate();
    float *p = img->GetBufferPointer();
    uint32_t state = 12345u;
    for (unsigned z = 0; z < n; z++)
        for (unsigned y = 0; y < n; y++)
            for (unsigned x = 0; x < n; x++) {
                state = state * 1664525u + 1013904223u;
                double noise = (double)(state >> 8) / 16777216.0 - 0.5;
                *p++ = (float)(100.0 + 50.0 * std::sin(x / 7.0) *
                                           std::cos(y / 11.0) +
                               30.0 * std::sin(z / 5.0 + x / 13.0) +
                               20.0 * noise);
            }
    return img;
}

static Field::Pointer
make_field(unsigned n)
{
    Field::Pointer f = Field::New();
    Field::SizeType size = { { n, n, n } };
    f->SetRegions(size);
    f->Allocate();
    auto *p = f->GetBufferPointer();
    for (unsigned z = 0; z < n; z++)
        for (unsigned y = 0; y < n; y++)
            for (unsigned x = 0; x < n; x++, p++) {
                (*p)[0] = (float)(2.0 * std::sin(y / 20.0));
                (*p)[1] = (float)(2.0 * std::cos(x / 25.0));
                (*p)[2] = (float)(1.5 * std::sin(z / 15.0));
            }
    return f;
}

// bench/filters.c's make_affine.
static itk::AffineTransform<double, 3>::Pointer
make_affine(unsigned n)
{
    auto t = itk::AffineTransform<double, 3>::New();
    const double pi = 3.14159265358979323846;
    double c = 0.5 * (n - 1), a = 10.0 * pi / 180.0, b = 5.0 * pi / 180.0;
    double rz[9] = { std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a),
                     0, 0, 0, 1 };
    double rx[9] = { 1, 0, 0, 0, std::cos(b), -std::sin(b), 0, std::sin(b),
                     std::cos(b) };
    itk::AffineTransform<double, 3>::MatrixType m;
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++) {
            double v = 0;
            for (int j = 0; j < 3; j++)
                v += rx[r * 3 + j] * rz[j * 3 + k];
            m(r, k) = 1.05 * v;
        }
    itk::AffineTransform<double, 3>::InputPointType center;
    center.Fill(c);
    itk::AffineTransform<double, 3>::OutputVectorType shift;
    shift[0] = 3.0, shift[1] = -2.0, shift[2] = 1.5;
    t->SetCenter(center);
    t->SetMatrix(m);
    t->SetTranslation(shift);
    return t;
}

struct Line {
    std::string name;
    itk::ProcessObject::Pointer filter;
    size_t voxels;
};

static double
median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

template <typename Interp>
static itk::ProcessObject::Pointer
resampler(Image *img, itk::AffineTransform<double, 3> *t)
{
    auto r = itk::ResampleImageFilter<Image, Image>::New();
    r->SetInput(img);
    r->SetTransform(t);
    r->SetInterpolator(Interp::New());
    r->SetOutputParametersFromImage(img);
    r->SetDefaultPixelValue(0);
    return r.GetPointer();
}

// The pointwise, reduction and pixel-moving filters' lines.
#include "itk_pointwise.inc"

int
main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)std::atoi(argv[1]) : 2;
    int reps = argc > 2 ? std::atoi(argv[2]) : 5;
    unsigned n = argc > 3 ? (unsigned)std::atoi(argv[3]) : 256;
    if (threads < 1)
        threads = 1;
    if (reps < 1 || reps > 64)
        reps = 5;
    if (n < 8)
        n = 8;
    itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(threads);
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);

    Image::Pointer img = make_image(n);
    Field::Pointer field = make_field(n);
    auto affine = make_affine(n);
    const size_t voxels = (size_t)n * n * n;
    std::printf("ITK %s bench/itk_filters: %u^3 f32, %u threads, medians "
                "of %d\n",
                ITK_VERSION_STRING, n,
                itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads(),
                reps);

    {
        size_t bytes = voxels * sizeof(float);
        std::vector<char> a(bytes, 1), b(bytes, 0);
        std::vector<double> t;
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            std::memcpy(b.data(), a.data(), bytes);
            t.push_back(now() - t0);
        }
        double m = median(t);
        std::printf("%-44s %9.2f ms %9.1f Mvox/s\n", "memcpy", m * 1e3,
                    voxels / m * 1e-6);
    }

    std::vector<Line> lines;
    {
        auto f = itk::DiscreteGaussianImageFilter<Image, Image>::New();
        f->SetInput(img);
        f->SetVariance(4.0);
        lines.push_back({ "discrete_gaussian_var4", f.GetPointer(), voxels });
    }
    for (unsigned dir : { 0u, 2u }) {
        auto f = itk::RecursiveGaussianImageFilter<Image, Image>::New();
        f->SetInput(img);
        f->SetSigma(2.0);
        f->SetDirection(dir);
        lines.push_back({ dir == 0 ? "recursive_gaussian_sigma2_x"
                                   : "recursive_gaussian_sigma2_z",
                          f.GetPointer(), voxels });
    }
    {
        auto f = itk::SmoothingRecursiveGaussianImageFilter<Image,
                                                             Image>::New();
        f->SetInput(img);
        f->SetSigma(2.0);
        lines.push_back({ "smoothing_recursive_gaussian_sigma2",
                          f.GetPointer(), voxels });
    }
    {
        auto f = itk::MeanImageFilter<Image, Image>::New();
        f->SetInput(img);
        f->SetRadius(1);
        lines.push_back({ "mean_r1", f.GetPointer(), voxels });
    }
    {
        auto f = itk::MedianImageFilter<Image, Image>::New();
        f->SetInput(img);
        f->SetRadius(1);
        lines.push_back({ "median_r1", f.GetPointer(), voxels });
    }
    {
        auto f = itk::GradientMagnitudeImageFilter<Image, Image>::New();
        f->SetInput(img);
        lines.push_back({ "gradient_magnitude", f.GetPointer(), voxels });
    }
    {
        auto f = itk::GradientImageFilter<Image, float, float>::New();
        f->SetInput(img);
        lines.push_back({ "gradient", f.GetPointer(), voxels });
    }
    {
        auto f = itk::GradientMagnitudeRecursiveGaussianImageFilter<
            Image, Image>::New();
        f->SetInput(img);
        f->SetSigma(2.0);
        lines.push_back({ "gradient_magnitude_recursive_gaussian_sigma2",
                          f.GetPointer(), voxels });
    }
    {
        auto f = itk::LaplacianImageFilter<Image, Image>::New();
        f->SetInput(img);
        lines.push_back({ "laplacian", f.GetPointer(), voxels });
    }
    lines.push_back(
        { "resample_affine_nearest",
          resampler<itk::NearestNeighborInterpolateImageFunction<Image>>(
              img, affine),
          voxels });
    lines.push_back(
        { "resample_affine_linear",
          resampler<itk::LinearInterpolateImageFunction<Image>>(img, affine),
          voxels });
    lines.push_back(
        { "resample_affine_bspline3",
          resampler<itk::BSplineInterpolateImageFunction<Image>>(img,
                                                                 affine),
          voxels });
    {
        auto f = itk::WarpImageFilter<Image, Image, Field>::New();
        f->SetInput(img);
        f->SetDisplacementField(field);
        f->SetOutputParametersFromImage(field);
        lines.push_back({ "warp_linear", f.GetPointer(), voxels });
    }
    {
        using Mask = itk::Image<unsigned char, 3>;
        auto f = itk::BinaryThresholdImageFilter<Image, Mask>::New();
        f->SetInput(img);
        f->SetLowerThreshold(100.0f);
        f->SetUpperThreshold(150.0f);
        lines.push_back({ "binary_threshold", f.GetPointer(), voxels });
    }
    add_pointwise_lines(lines, img, n);

    for (auto &l : lines) {
        bool want = argc <= 4;
        for (int i = 4; i < argc; i++)
            want = want || l.name == argv[i];
        if (!want)
            continue;
        std::vector<double> t;
        try {
            for (int r = 0; r < reps; r++) {
                l.filter->Modified();
                double t0 = now();
                l.filter->Update();
                t.push_back(now() - t0);
            }
        } catch (const itk::ExceptionObject &e) {
            std::printf("%-44s failed: %s\n", l.name.c_str(),
                        e.GetDescription());
            continue;
        }
        double m = median(t);
        std::printf("%-44s %9.2f ms %9.1f Mvox/s\n", l.name.c_str(), m * 1e3,
                    l.voxels / m * 1e-6);
        std::fflush(stdout);
        // Free this line's output before the next one runs.
        l.filter->GetOutputs()[0]->ReleaseData();
    }
    return 0;
}
