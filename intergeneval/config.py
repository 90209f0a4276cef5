"""Protocol constants, named once.

The numbers here define `intergeneval-v1` (see docs/protocol.md); changing any of them is a new protocol id.
"""

PROTOCOL_ID = "intergeneval-v1"

#: Sampled frames are {0} ∪ {s, 2s, … < T−1} ∪ {T−1}.
STRIDE = 5
#: Penalty per flagged frame in SPI: E = 1 − λ·e/F (not clipped).
SPI_PENALTY = 5.0
#: Question slots: 1–6 score KISA (the interaction happens), 7–10 score SGI (the right agent and object).
KISA_SLOTS = range(1, 7)
SGI_SLOTS = range(7, 11)
NUM_SLOTS = 10
#: The three answers a judge may give; only "yes" succeeds.
ANSWERS = ("yes", "no", "no (visually implausible)")
#: Judge replies that do not validate are retried this many times in all before the answers are missing.
JUDGE_ATTEMPTS = 3
#: Greedy decoding with a fixed seed, as the protocol requires of every judge.
JUDGE_SEED = 42

INTERACTION_TYPES = ("contact", "force", "transport", "manipulation", "social")
#: A scenario's pairing is "<who acts>-<what it acts on>": a human, an animal or an object acting on an object,
#: a human, an animal or nature. The paper's suites, and the shipped one, have a person acting (the first
#: four); the others let a suite hold a dog fetching a stick or a car passing a bicycle. A pairing is a label
#: for the per-category breakdown only: it never changes a video's score, and the model score pools every
#: video whatever its pairing.
HUMAN_PAIRINGS = ("human-object", "human-human", "human-animal", "human-nature")
PAIRINGS = (*HUMAN_PAIRINGS, "animal-object", "animal-human", "animal-animal", "animal-nature",
            "object-object", "object-human", "object-animal", "object-nature")
DIRECTIONS = ("unidirectional", "bidirectional")

#: Bootstrap confidence intervals over videos.
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 0
CI_LEVEL = 0.95
