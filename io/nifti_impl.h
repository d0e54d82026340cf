/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Between the NIfTI nodes (io/nifti.c: files, pairs, streaming) and the
 * header codec (io/nifti_header.c: NIfTI-1 and NIfTI-2 bytes to and from
 * pipit's geometry).
 */
#ifndef PIPIT_NIFTI_IMPL_H
#define PIPIT_NIFTI_IMPL_H

#include "io_impl.h"

#define PIPIT__NIFTI1_HDR 348
#define PIPIT__NIFTI2_HDR 540
/* The most header bytes written: NIfTI-2 and its 4 extension flag bytes. */
#define PIPIT__NIFTI_HDR_MAX (PIPIT__NIFTI2_HDR + 4)

/** What a header says, checked, in pipit's terms (LPS+, ITK's rules). */
typedef struct pipit__nifti_header {
    int version;                  /* 1 or 2 */
    bool pair;                    /* magic ni1 / ni2: voxels in a .img */
    unsigned dim;                 /* image dim, 2..4 */
    size_t size[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM], origin[PIPIT_MAX_DIM];
    double direction[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    pipit_pixel_type_t file_type, out_type;
    unsigned components;
    bool planar, swap, scale;
    double slope, inter;
    /* Where the voxels start in the file that holds them (the .nii, or
     * the .img of a pair), and how many bytes they take. */
    uint64_t vox_offset, data_bytes;
} pipit__nifti_header_t;

/**
 * The size of the header whose first 348 bytes are b: 348 (NIfTI-1) or
 * 540 (NIfTI-2), in either byte order. PIPIT_EFORMAT naming path when
 * sizeof_hdr is neither.
 */
pipit_status_t pipit__nifti_header_size(const char *path,
                                        const unsigned char *b,
                                        size_t *size);

/**
 * Checks and decodes the size bytes of a header (size from
 * pipit__nifti_header_size). Applies scl_slope / scl_inter only when
 * rescale. Checks everything but the bytes present in the voxel file,
 * which only the caller knows. PIPIT_EFORMAT, PIPIT_EUNSUPPORTED or
 * PIPIT_ERANGE naming path.
 */
pipit_status_t pipit__nifti_header_parse(const char *path,
                                         const unsigned char *b, size_t size,
                                         bool rescale,
                                         pipit__nifti_header_t *h);

/**
 * The header for info written as type, in host byte order, with its
 * 4 extension flag bytes (none): NIfTI-2 when NIfTI-1's 16-bit dims
 * cannot hold a size, else NIfTI-1; pair: magic ni1 / ni2 and the voxels
 * at offset 0 of the .img. b holds PIPIT__NIFTI_HDR_MAX bytes; *n gets
 * the count used. *planar: components go one volume after another (a
 * vector image), else they are interleaved (scalar, RGB, RGBA).
 */
void pipit__nifti_header_make(const pipit_image_t *info,
                              pipit_pixel_type_t type, bool pair,
                              unsigned char *b, size_t *n, bool *planar);

#endif
