"""Copy practice for tests/gpu/copy_reading_probe.sh: 200,000 lines, each a list of 4 to 10
fresh random words said twice, so the second half is predictable only by copying."""
import random

rng = random.Random(5)
ONSETS = "b c d f g h k l m n p r s t v z br dr kr pl st th tr sh".split()
VOWELS = "a e i o u ai ei ou".split()


def word():
    syllables = rng.randint(2, 3)
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)).capitalize()


for _ in range(200000):
    words = " ".join(word() for _ in range(rng.randint(4, 10)))
    print(f"The list is {words}. Once more, the list is {words}.")
