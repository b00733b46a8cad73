"""A stand-in app for one server test: writes its arguments (after the first) as JSON."""

import json
import os
import sys
from pathlib import Path

# Written beside, then renamed: the test never reads a half-written record.
record = Path(sys.argv[1])
record.with_suffix(".tmp").write_text(json.dumps(sys.argv[2:]))
os.replace(record.with_suffix(".tmp"), record)
