import math, struct, sys
NX, NY = 40, 30
SP = (1.5, 2.0); OR = (3.0, -4.0)
def write(name, f):
    with open(name + ".raw", "wb") as fp:
        for j in range(NY):
            for i in range(NX):
                fp.write(struct.pack("<f", f(OR[0] + i * SP[0], j)))
    with open(name + ".mhd", "w") as fp:
        fp.write("ObjectType = Image\nNDims = 2\nBinaryData = True\n"
                 "BinaryDataByteOrderMSB = False\nElementType = MET_FLOAT\n"
                 "ElementSpacing = %g %g\nOffset = %g %g\n"
                 "TransformMatrix = 1 0 0 1\nDimSize = %d %d\n"
                 "ElementDataFile = %s.raw\n" % (SP + OR + (NX, NY, name)))
def blob(x, c):
    return 100 * math.exp(-((x - c) / 6.0) ** 2) + 60 * math.exp(-((x - c - 18) / 4.0) ** 2)
ph = lambda j: 2 * math.pi * j / NY
write("fixed", lambda x, j: blob(x, 25 + 5 * math.sin(ph(j))))
write("moving", lambda x, j: blob(x, 25 + 5 * math.sin(ph(j)) + 3 * math.cos(ph(j))))
