#!/bin/sh
# Regenerates the LibreOffice-written workbooks of the import tests from their flat ODS source:
# production-workbook.fods -> .ods, .xlsx (Excel 2007-365) and .xls (Excel 97).
# Needs soffice (apt-get install libreoffice-calc-nogui). Run from any directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
profile=file:///tmp/lo-profile
for format in ods xlsx xls; do
  soffice -env:UserInstallation="$profile" --headless --convert-to "$format" \
    --outdir "$here" "$here/production-workbook.fods" >/dev/null
done
ls -l "$here"/production-workbook.*
