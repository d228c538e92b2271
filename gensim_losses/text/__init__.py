"""Where the words come from, below everything that trains: corpus items (:mod:`.corpus`: token lists
and :class:`~gensim_losses.Sentence`), text files cut into line-aligned ranges (:mod:`.files`),
Parquet tables (:mod:`.parquet`), generated corpora with planted truth (:mod:`.synthetic`), and the
negative-sampling table of a vocabulary's counts (:mod:`.vocab`)."""
