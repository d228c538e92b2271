# The kernels' shared vocabulary: the loss terms, the models, the ``Config`` struct every
# kernel reads its pointers from, and ``Collect`` (a job's examples, recorded for the Python paths).

# gensim's LineSentence and corpus_file reader split longer lines into
# sentences of this many raw words; we keep the same cut.
MAX_SENTENCE_WORDS = 10000
cdef int MAX_WORDS = 10000

# The loss terms a kernel tallies, in the order of Config.loss.
cdef enum:
    T_NS, T_HS, T_SOFTMAX, T_NORM, T_L2, T_ANCHOR, T_DIRECTION, T_GLOBAL, T_GROUP, T_LEXICON, N_TERMS
TERMS = ("ns", "hs", "softmax", "norm", "l2", "anchor", "direction", "global_context", "group_negative",
         "lexicon")


# The models one engine trains; they differ in the rows that form an example's h.
cdef enum:
    M_WORD2VEC, M_FASTTEXT, M_DOC2VEC
MODELS = {"word2vec": M_WORD2VEC, "fasttext": M_FASTTEXT, "doc2vec": M_DOC2VEC}
# what an input row is a row of (reported by Job.collect for the Python paths)
cdef enum:
    R_WORD, R_NGRAM, R_DOC


cdef struct Collect:
    # Job.collect: every example of a job as the kernels see it, instead of training it
    int64_t n_examples, n_rows       # counted on a first pass, then filled
    uint32_t *target
    int64_t *position
    float *form                      # h = form * (the sum of the input rows)
    float *update                    # each row's step = update * lockf * (the error of h)
    int64_t *row_start               # example e's rows: [row_start[e], row_start[e + 1])
    uint8_t *row_kind                # R_WORD, R_NGRAM, R_DOC
    uint32_t *row_index


cdef struct Config:
    int model, sg, size, window, shrink_windows, cbow_mean, sample, compute_loss
    int negative
    float weight[N_TERMS]  # 0 turns a term off; objectives may be scaled
    float alpha
    int64_t vocab_size
    float *syn0          # input vectors, wv.vectors
    float *syn1          # HS output layer (inner nodes of the Huffman tree)
    float *syn1neg       # NS output layer
    float *syn1softmax   # full-softmax output layer
    const float *lockf   # per-word update factor (gensim's vectors_lockf)
    uint32_t lockf_len
    const uint32_t *cum_table  # cumulative unigram^ns_exponent table
    uint64_t cum_len
    const uint32_t *cum_guide  # cum_guide[q]: the first index whose cum_table entry exceeds q << guide_shift
    int guide_shift
    const uint32_t *sample_ints  # keep word w if sample_ints[w] >= a 32-bit draw
    # Huffman paths of all words, flattened: word w owns [offsets[w], offsets[w+1])
    const uint32_t *points
    const uint8_t *codes
    const int64_t *code_offsets
    # penalties
    const float *anchor_ref      # (vocab, size) reference vectors
    const uint8_t *anchor_mask   # 1 where the word has a reference vector
    const float *directions      # (n_directions, size)
    int n_directions
    int any_penalty
    # Penalties and Python terms get the exact chain rule through CBOW's
    # mean/sum, not gensim's learning-rate convention for the objectives:
    # their step is scaled by this to undo what cbow_example does to c.work.
    float pen_scale
    # the current sentence: its weight scales every term of its examples;
    # its context words (GlobalContextLoss), when that term is on
    float sw
    const uint32_t *ctx
    int64_t n_ctx
    # GroupNegativeLoss: word w's group is word_group[w] (-1: none, or alone
    # in it); group g's members are group_members[group_starts[g]:group_starts[g + 1]],
    # with their cumulative count^exponent table at the same offsets in group_cum
    const int32_t *word_group
    const int64_t *group_starts
    const uint32_t *group_members
    const uint32_t *group_cum
    int group_negative
    # LexiconPenalty: word w's partners are lex_partners[lex_starts[w]:lex_starts[w + 1]]
    const int64_t *lex_starts
    const uint32_t *lex_partners
    const uint8_t *lex_antonym
    float lex_margin[2]  # synonyms attract while cos < [0]; antonyms repel while cos > [1]
    # Python terms (the hybrid path), applied at every example's own h: the
    # compiled ones run in the kernel (_program.pxi), the others are called
    # back in Python (py_callback, with the GIL). ext_next counts the job's
    # examples: the row of the current one in the per-example arrays
    const gl_program *prog
    const TermOutputs *prog_out
    float **prog_ptr
    float *prog_h  # the copy of h the program runs on (python_terms)
    void *py_callback
    int32_t n_compiled
    int64_t ext_next
    double py_loss[MAX_PYTHON_TERMS]
    int py_error         # PY_* of the first failing example (c.diverged is set too)
    int32_t py_term      # which term failed
    # the current example's input rows: h = form * their sum; each row's
    # update factor (lockf, 0 when it must not learn), what it is a row of,
    # and its word (for the anchor penalty) or -1
    float **in_rows
    float *in_lockf
    uint8_t *in_kind
    uint32_t *in_index
    int64_t n_in
    # FastText: word w's n-gram buckets are ngram_ids[ngram_starts[w]:ngram_starts[w + 1]], rows of syn0_ngrams
    float *syn0_ngrams
    const float *ngram_lockf
    uint32_t ngram_lockf_len
    const int64_t *ngram_starts
    const uint32_t *ngram_ids
    # Doc2Vec: document vectors and the current document's tags; PV-DM or PV-DBOW
    float *doc_vectors
    const float *doc_lockf
    uint32_t doc_lockf_len
    const uint32_t *tags
    int64_t n_tags
    int dm, train_words
    # PV-DM with concatenation (dm_concat): h is the document's dm_tag_count tag rows, then the
    # 2 * window word rows of the window (null_word where it runs off the document), side by side
    int concat, dm_tag_count
    uint32_t null_word
    # the width of h, of c.work and of an output row: size, or (dm_tag_count + 2 * window) * size
    # with concat, which the objectives see as c.size while they run (concat_example)
    int layer1_size
    # whether the output layers learn (infer_vector holds them; it holds the words by a zero lockf)
    int learn_hidden
    # nothing learns (evaluate_loss): the objectives count each example's loss and take no step
    int frozen
    Collect *col        # not NULL: record the examples instead of training them
    int64_t centre      # the position whose examples are being trained, in its sentence
    int64_t sentence_start  # the sentence's first position in its job
    # per-thread scratch
    float *work          # -alpha * dLoss/dh of the current example
    float *neu1          # CBOW hidden vector
    float *scores        # full-softmax scores, vocab_size floats
    uint64_t next_random
    # per-job records, merged by the caller
    double loss[N_TERMS]
    int64_t examples
    int diverged         # a score was NaN or infinite: the job stops (see logistic_grad)
    # shared_negatives: one draw of negatives per skip-gram window (sg_window), or
    # per cbow_uses CBOW positions of a job, cbow_stride apart (engine.cbow_sharing)
    int shared
    int64_t cbow_uses
    int64_t cbow_stride
    uint32_t *cbow_slots      # per-job scratch: cbow_stride draws of ``negative`` rows
    # FastText skip-gram and PV-DBOW share one draw among the examples of one h (shared_targets):
    # a position's context words, or (PV-DBOW) a document's words, dbow_block positions at a time
    # from dbow_negative negatives (engine.dbow_sharing)
    int64_t dbow_block
    int64_t dbow_negative
    const uint32_t *ns_draws  # not NULL: negative sampling takes these ``negative`` draws
    # skip-gram's per-job scratch for the window's rows, labels, steps and deltas
    uint32_t *win_rows   # the output rows: 1 + negative + group_negative, or shared_targets' targets + negative
    float *win_label
    float *win_step
    float *win_din       # (2 * window) x size: deltas of the context words' input vectors
    uint32_t *win_ctx    # 2 * window: the context words
    float *win_grad      # (2 * window) x (1 + negative + group_negative): scores, then steps (shared_targets:
                         # one per output row)
    uint32_t *win_draws  # negative: the window's negative draws (Word2Vec: drawn by the window before)
