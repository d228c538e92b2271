"""What runs from the command line: the ``gensim-losses`` command (:mod:`.cli`), the demo
(:mod:`.demo`), the speed benchmark (:mod:`.bench`), and the option checks (:mod:`.options`) and text
tables (:mod:`.tables`) they share."""
