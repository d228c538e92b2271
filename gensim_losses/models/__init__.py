"""The models users train: :class:`~gensim_losses.Word2Vec`, :class:`~gensim_losses.FastText` and
:class:`~gensim_losses.Doc2Vec` (gensim's classes, trained by this package's engine), the glue they
share (:mod:`.base`), and saving and loading (:mod:`.persistence`)."""
