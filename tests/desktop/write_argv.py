"""A stand-in app for one server test: writes its arguments (after the first) as JSON."""

import json
import sys
from pathlib import Path

Path(sys.argv[1]).write_text(json.dumps(sys.argv[2:]))
