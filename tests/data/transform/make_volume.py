#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes a small 3-D image pair (MetaImage, float) for make_reference.sh:
# a sum of Gaussian blobs sampled on an anisotropic, rotated grid with a
# non-zero origin; the moving image holds the same blobs moved by a
# small rotation and shift. Only the standard library is needed.
import math, os, struct, sys

SIZE = (24, 20, 16)
SPACING = (1.5, 1.0, 2.0)
ORIGIN = (10.0, -5.0, 3.0)
A = 0.2  # direction: rotation about z, in radians
DIRECTION = (math.cos(A), -math.sin(A), 0.0,
             math.sin(A), math.cos(A), 0.0,
             0.0, 0.0, 1.0)  # row-major
BLOBS = ((14, 2, 12, 4.0, 100), (30, 4, 20, 5.0, 80), (22, 12, 8, 3.0, 120),
         (18, 8, 26, 4.5, 90), (26, -2, 18, 3.5, 110))


def point(i, j, k):
    s = (i * SPACING[0], j * SPACING[1], k * SPACING[2])
    return tuple(ORIGIN[r] + sum(DIRECTION[3 * r + c] * s[c]
                                 for c in range(3)) for r in range(3))


def value(p, shift):
    v = 0.0
    for (x, y, z, s, a) in BLOBS:
        d2 = ((p[0] - x - shift[0]) ** 2 + (p[1] - y - shift[1]) ** 2 +
              (p[2] - z - shift[2]) ** 2)
        v += a * math.exp(-d2 / (2 * s * s))
    return v


def write(name, shift):
    vals = [value(point(i, j, k), shift)
            for k in range(SIZE[2]) for j in range(SIZE[1])
            for i in range(SIZE[0])]
    with open(name + '.raw', 'wb') as f:
        f.write(struct.pack('<%df' % len(vals), *vals))
    # MetaImage's TransformMatrix lists the direction column by column.
    cols = [DIRECTION[3 * r + c] for c in range(3) for r in range(3)]
    with open(name + '.mhd', 'w') as f:
        f.write('ObjectType = Image\nNDims = 3\nBinaryData = True\n'
                'BinaryDataByteOrderMSB = False\n')
        f.write('TransformMatrix = %s\n' % ' '.join('%.15g' % c for c in cols))
        f.write('Offset = %s\n' % ' '.join('%g' % o for o in ORIGIN))
        f.write('ElementSpacing = %s\n' % ' '.join('%g' % s for s in SPACING))
        f.write('DimSize = %s\n' % ' '.join('%d' % s for s in SIZE))
        f.write('ElementType = MET_FLOAT\nElementDataFile = %s.raw\n' % os.path.basename(name))


write(sys.argv[1] + '/fixed3d', (0.0, 0.0, 0.0))
write(sys.argv[1] + '/moving3d', (1.5, -1.0, 0.8))
