import sys

from gensim_losses.tools.cli import main

sys.exit(main())
