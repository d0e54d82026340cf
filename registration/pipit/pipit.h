/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The umbrella header: everything a user of pipit calls. It lives in the
 * top library layer because it includes every layer below.
 */
#ifndef PIPIT_PIPIT_H
#define PIPIT_PIPIT_H

#include <pipit/error.h>
#include <pipit/types.h>
#include <pipit/buffer.h>
#include <pipit/image.h>
#include <pipit/pool.h>
#include <pipit/node.h>
#include <pipit/params.h>
#include <pipit/transform.h>
#include <pipit/interpolator.h>
#include <pipit/io.h>
#include <pipit/filters.h>
#include <pipit/transform_file.h>
#include <pipit/registration.h>

#endif
