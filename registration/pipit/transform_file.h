/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TransformParameters files ("TP files"): the text files elastix writes
 * after a registration and transformix reads, one transform per file,
 * each naming the file of its initial transform. The contract is
 * ../shared/spec/elastix-compat.md section 6; doc/transform-files.md
 * says what pipit reads and writes and how chains and paths resolve.
 *
 * Reading accepts elastix 5.0.1's files (6-decimal parameters,
 * InitialTransformParametersFileName, binary .dat parameters) and those
 * of 5.1 and later (shortest round-trip numbers, the key spelled
 * InitialTransformParameterFileName). Writing reproduces 5.0.1's layout,
 * so that Debian's transformix 5.0.1 reads the files; numbers are in
 * its fixed notation, by default with as many decimals as it takes for
 * the value to read back bit for bit.
 *
 * Thread safety: every function here may run on several threads at
 * once on different objects.
 */
#ifndef PIPIT_TRANSFORM_FILE_H
#define PIPIT_TRANSFORM_FILE_H

#include <pipit/image.h>
#include <pipit/params.h>
#include <pipit/transform.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Room for a resampler setting's string value, NUL included. */
#define PIPIT_TP_NAME_SIZE 64

/**
 * What a TP file says beside its transform: the fixed image's grid (the
 * grid transformix resamples onto) and the resampler's settings. Strings
 * are elastix's spellings, kept as written ("short", "nii.gz").
 */
typedef struct pipit_tp_settings {
    unsigned dim;                    /* FixedImageDimension */
    size_t size[PIPIT_MAX_DIM];      /* Size */
    ptrdiff_t index[PIPIT_MAX_DIM];  /* Index */
    double spacing[PIPIT_MAX_DIM];   /* Spacing */
    double origin[PIPIT_MAX_DIM];    /* Origin */
    /* Direction, row-major here (m[r * dim + c]); the file holds it
     * column by column. */
    double direction[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    bool use_direction_cosines;      /* UseDirectionCosines */
    char fixed_pixel_type[PIPIT_TP_NAME_SIZE];  /* FixedInternal... */
    char moving_pixel_type[PIPIT_TP_NAME_SIZE]; /* MovingInternal... */
    char resample_interpolator[PIPIT_TP_NAME_SIZE];
    unsigned final_bspline_order;    /* FinalBSplineInterpolationOrder */
    char resampler[PIPIT_TP_NAME_SIZE];
    double default_pixel_value;      /* DefaultPixelValue */
    char result_format[PIPIT_TP_NAME_SIZE];     /* ResultImageFormat */
    char result_pixel_type[PIPIT_TP_NAME_SIZE]; /* ResultImagePixelType */
    bool compress_result;            /* CompressResultImage */
    /*
     * Writing only: decimals of the transform parameters and of
     * DefaultPixelValue. Negative (the default): the fewest decimals, at
     * least elastix's 6 (10 for geometry), that read back to the same
     * double. 0 or more: exactly that many, as elastix's
     * DefaultOutputPrecision (6 gives 5.0.1's text to the byte, lossy).
     */
    int precision;
} pipit_tp_settings_t;

/**
 * elastix's defaults for dim axes: size 0, index 0, spacing 1, origin 0,
 * identity direction, UseDirectionCosines true, "float" internal pixel
 * types, FinalBSplineInterpolator of order 3, DefaultResampler, default
 * pixel 0, "mhd", "short", no compression, exact precision (-1).
 */
PIPIT_API void pipit_tp_settings_init(pipit_tp_settings_t *s, unsigned dim);

/**
 * The defaults of pipit_tp_settings_init with the grid of image (its
 * size, spacing, origin and direction; index 0). image is borrowed.
 * PIPIT_EINVAL for NULL arguments.
 */
PIPIT_API pipit_status_t pipit_tp_settings_from_image(
    pipit_tp_settings_t *s, const pipit_image_t *image);

/**
 * Reads the settings of a TP file's map (borrowed); missing keys keep
 * their defaults. name is the file for messages. PIPIT_EFORMAT naming
 * the file, line, key and value: no or a bad FixedImageDimension, a key
 * with a number of values other than the dimension asks (D, or D·D for
 * Direction), a value of the wrong type, a string longer than
 * PIPIT_TP_NAME_SIZE - 1.
 */
PIPIT_API pipit_status_t pipit_tp_settings_from_params(
    const pipit_params_t *p, const char *name, pipit_tp_settings_t *s);

/**
 * Reads the TP file at path and, through its initial-transform key,
 * every file of its chain, into one transform (a chain when the file
 * names an initial transform, combined as its HowToCombineTransforms
 * says). A relative initial path is looked up from the working
 * directory first (as elastix 5.0.1 does), then from the folder of the
 * file naming it (as 5.1 does). *transform gets a new reference;
 * *params, when params is not NULL, a new reference to the map of the
 * file at path itself (its geometry and resampler keys: see
 * pipit_tp_settings_from_params).
 *
 * Statuses: PIPIT_EIO (a file of the chain cannot be read or found: its
 * path and the file and key that name it), PIPIT_EFORMAT (syntax, a
 * missing key, a count that does not match NumberOfParameters, the
 * dimension or the grid, a value of the wrong type or that the transform
 * refuses, a cycle of initial files, dimensions that differ along the
 * chain; every file's grid and resampler keys are checked as
 * pipit_tp_settings_from_params does), PIPIT_EINVAL (an unknown
 * Transform, listing the known ones), PIPIT_ENOMEM. Messages name the file,
 * the line and the key. On failure the out pointers are NULL.
 */
PIPIT_API pipit_status_t pipit_tp_read(const char *path,
                                       pipit_transform_t **transform,
                                       pipit_params_t **params);

/**
 * One link: the transform a TP file's map describes, without following
 * its initial-transform key. When initial is not NULL (borrowed) the
 * result is the chain of initial and that transform, combined as the
 * map's HowToCombineTransforms says; otherwise the transform alone. name
 * is the file for messages. Statuses as pipit_tp_read, but for files.
 */
PIPIT_API pipit_status_t pipit_tp_from_params(const pipit_params_t *p,
                                              const char *name,
                                              pipit_transform_t *initial,
                                              pipit_transform_t **out);

/**
 * The map elastix 5.0.1 writes for one link: t (not a chain) combined
 * with the file initial_path by how (when initial_path is NULL:
 * "NoInitialTransform" and "Compose"), on the grid and resampler of s,
 * numbers formatted per s->precision. *out gets a new map, keys in
 * elastix's order. PIPIT_EINVAL for a chain, a dimension other than
 * s->dim, or a path the text format cannot hold (see pipit_params_set).
 */
PIPIT_API pipit_status_t pipit_tp_to_params(const pipit_transform_t *t,
                                            const char *initial_path,
                                            pipit_combine_t how,
                                            const pipit_tp_settings_t *s,
                                            pipit_params_t **out);

/**
 * Writes a TP map to path in elastix's layout: the keys in the map's
 * order, strings quoted, numbers bare, with elastix's blank lines and
 * "// ... specific" comments between the groups. The file is replaced
 * atomically (a temporary beside it, then a rename). PIPIT_EIO naming
 * path when it cannot be written.
 */
PIPIT_API pipit_status_t pipit_tp_write_params(const pipit_params_t *p,
                                               const char *path);

/**
 * The number of TP files t needs, one per link of its chain (1 for a
 * transform that is not a chain); 0 when t is a chain that elastix
 * files cannot express (see pipit_tp_write).
 */
PIPIT_API size_t pipit_tp_n_links(const pipit_transform_t *t);

/**
 * Writes t as n_paths = pipit_tp_n_links(t) TP files: paths[0] holds the
 * innermost link (applied first, "NoInitialTransform"), and each later
 * file names the one before it, as written in paths (elastix 5.0.1
 * resolves it from its working directory; pipit also from the naming
 * file's folder), so transformix is given paths[n_paths - 1]. A chain
 * whose current part is itself a chain is written when both combine by
 * composition (composition is associative); otherwise
 * PIPIT_EUNSUPPORTED. PIPIT_EINVAL for a wrong n_paths, PIPIT_EIO naming
 * the file that cannot be written.
 */
PIPIT_API pipit_status_t pipit_tp_write(const pipit_transform_t *t,
                                        const pipit_tp_settings_t *s,
                                        size_t n_paths,
                                        const char *const *paths);

#ifdef __cplusplus
}
#endif
#endif
