import sys

from gensim_losses.cli import main

sys.exit(main())
