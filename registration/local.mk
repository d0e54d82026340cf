# SPDX-License-Identifier: Apache-2.0
pipitinclude_HEADERS += registration/pipit/pipit.h
