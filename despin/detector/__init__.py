"""The detector, stage by stage: a noisy-channel model of a thesaurus spinner.

`despin.core.analyse` runs the stages in this order; each module says what comes in and what
goes out, and `records` holds what they pass along:

1. `units` — text → tokens, sentences, the words that may be substitutes (`Document`)
2. `candidates` — those words and phrases → `Unit`s with candidate originals (inverted lexicons, inflected; learned profiles)
3. `context` — candidates → their odds in context (trigram language model), pooled per word type
4. `posterior` — odds → the document's spin rate (EM), P(substituted) per unit, P(spun) per document
5. `ranking` — the candidates of each unit ranked as suggestions, with calibrated scores
6. `refine` — a second look at each likely unit, with its neighbours and the document (trees)
7. `decide` — which units become spans, and the restored text (`Report`)

Nothing here imports `despin.core`; a stage imports only the records and earlier stages.
"""
