/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libtiff, loaded on first use. libtiff brings a dozen libraries with it
 * (libstdc++ among them, through LERC): mapping and relocating them cost
 * about 2 ms at every start of every program linked with pipit, most of
 * which never touch a TIFF. So pipit does not link libtiff; the first
 * TIFF read or write opens it (the shared object configure found) and
 * takes the functions io/tiff.c calls from it. Where configure cannot
 * name the shared object, pipit links libtiff as usual and the table
 * holds the linked functions.
 *
 * io/tiff.c includes this after <tiffio.h>: its TIFFxxx calls then go
 * through the table, the source reading as plain libtiff.
 */
#ifndef PIPIT_IO_TIFF_LIB_H
#define PIPIT_IO_TIFF_LIB_H

#include <tiffio.h>

#include "io_impl.h"

/* Every libtiff function pipit calls, without its "TIFF" prefix. */
#define PIPIT_TIFF_FUNCTIONS(X)                                            \
    X(ClientOpenExt) X(Close) X(ComputeTile) X(CurrentDirectory)            \
    X(FdOpenExt) X(Flush) X(GetField) X(GetFieldDefaulted)                  \
    X(IsCODECConfigured) X(IsTiled) X(OpenExt) X(OpenOptionsAlloc)          \
    X(OpenOptionsFree) X(OpenOptionsSetErrorHandlerExtR)                    \
    X(OpenOptionsSetMaxSingleMemAlloc) X(OpenOptionsSetWarningHandlerExtR)  \
    X(RGBAImageOK) X(ReadDirectory) X(ReadEncodedStrip)                     \
    X(ReadEncodedTile) X(ReadRGBAStrip) X(ReadRGBATile) X(SetDirectory)     \
    X(SetField) X(StripSize) X(TileSize) X(WriteDirectory)                  \
    X(WriteEncodedStrip)

#define PIPIT_TIFF_FIELD(f) __typeof__(&TIFF##f) f;
typedef struct pipit__tiff_api {
    PIPIT_TIFF_FUNCTIONS(PIPIT_TIFF_FIELD)
} pipit__tiff_api_t;
#undef PIPIT_TIFF_FIELD

/* Filled by pipit__tiff_load; read only after it returned PIPIT_OK. */
extern pipit__tiff_api_t pipit__tiff;

/**
 * Loads libtiff once per process (thread-safe). PIPIT_EUNSUPPORTED, with
 * a message naming path and the shared object, when it cannot be
 * loaded.
 */
pipit_status_t pipit__tiff_load(const char *path);

#ifndef PIPIT_TIFF_LIB_IMPL
#define TIFFClientOpenExt pipit__tiff.ClientOpenExt
#define TIFFClose pipit__tiff.Close
#define TIFFComputeTile pipit__tiff.ComputeTile
#define TIFFCurrentDirectory pipit__tiff.CurrentDirectory
#define TIFFFdOpenExt pipit__tiff.FdOpenExt
#define TIFFFlush pipit__tiff.Flush
#define TIFFGetField pipit__tiff.GetField
#define TIFFGetFieldDefaulted pipit__tiff.GetFieldDefaulted
#define TIFFIsCODECConfigured pipit__tiff.IsCODECConfigured
#define TIFFIsTiled pipit__tiff.IsTiled
#define TIFFOpenExt pipit__tiff.OpenExt
#define TIFFOpenOptionsAlloc pipit__tiff.OpenOptionsAlloc
#define TIFFOpenOptionsFree pipit__tiff.OpenOptionsFree
#define TIFFOpenOptionsSetErrorHandlerExtR                                  \
    pipit__tiff.OpenOptionsSetErrorHandlerExtR
#define TIFFOpenOptionsSetMaxSingleMemAlloc                                 \
    pipit__tiff.OpenOptionsSetMaxSingleMemAlloc
#define TIFFOpenOptionsSetWarningHandlerExtR                                \
    pipit__tiff.OpenOptionsSetWarningHandlerExtR
#define TIFFRGBAImageOK pipit__tiff.RGBAImageOK
#define TIFFReadDirectory pipit__tiff.ReadDirectory
#define TIFFReadEncodedStrip pipit__tiff.ReadEncodedStrip
#define TIFFReadEncodedTile pipit__tiff.ReadEncodedTile
#define TIFFReadRGBAStrip pipit__tiff.ReadRGBAStrip
#define TIFFReadRGBATile pipit__tiff.ReadRGBATile
#define TIFFSetDirectory pipit__tiff.SetDirectory
#define TIFFSetField pipit__tiff.SetField
#define TIFFStripSize pipit__tiff.StripSize
#define TIFFTileSize pipit__tiff.TileSize
#define TIFFWriteDirectory pipit__tiff.WriteDirectory
#define TIFFWriteEncodedStrip pipit__tiff.WriteEncodedStrip
#endif

#endif
