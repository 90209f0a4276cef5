"""intergeneval-open-v1 source: human–nature scenarios (written for this project).

Nature here means plants, water, rock, sand, snow, soil and weather, as opposed to made objects and animals.
"""

# ruff: noqa: E501  (scenario text reads better unwrapped at the margin)

SCENARIOS = [
    # ------------------------------------------------------------------------------------------- contact
    dict(
        id="nat-contact-01", type="contact", pairing="human-nature",
        objects=[("woman", "woman in a white linen shirt"), ("pond", "green pond")],
        image="The edge of a still green pond. A woman in a white linen shirt kneels on the bank, her hands "
              "resting on her thighs; the water surface is smooth.",
        video="A woman in a white linen shirt kneeling at the edge of a still green pond reaches out and "
              "touches the water surface with her fingertips; circular ripples spread across the pond.",
        subject=1, object=2, action="touches the surface of {2}", passive="touched",
        before="the surface of {2}: be smooth",
        steps=["{1}: lean toward {2}", "{1}: stretch a hand over {2}",
               "the fingertips of {1}: touch the water of {2}", "ripples: spread across {2}"],
        outcome="ripples: be visible on {2}",
        contact="low", motion="low",
    ),
    dict(
        id="nat-contact-02", type="contact", pairing="human-nature",
        objects=[("hiker", "hiker with a red backpack"), ("tree", "giant redwood tree")],
        image="A redwood forest. A hiker with a red backpack stands a step away from the trunk of a giant "
              "redwood tree, looking up at it, hands at his sides.",
        video="A hiker with a red backpack steps up to a giant redwood tree and places his right palm flat on "
              "its rough bark, looking up along the trunk.",
        subject=1, object=2, action="places a palm on the trunk of {2}", passive="touched",
        before="{1}: stand a step away from {2}",
        steps=["{1}: step toward {2}", "{1}: raise a hand toward the trunk of {2}",
               "the palm of {1}: rest on the bark of {2}", "{1}: look up along {2}"],
        outcome="the hand of {1}: be on the trunk of {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="nat-contact-03", type="contact", pairing="human-nature",
        objects=[("child", "toddler in a sun hat"), ("sand", "patch of wet sand")],
        image="A beach at low tide. A toddler in a sun hat squats next to a patch of smooth wet sand with no "
              "marks on it.",
        video="A toddler in a sun hat pushes a hand down into a patch of smooth wet sand and lifts it away, "
              "leaving a clear handprint behind.",
        subject=1, object=2, action="presses a hand into {2}", passive="pressed",
        before="{2}: be smooth and unmarked",
        steps=["{1}: hold a hand above {2}", "the hand of {1}: touch {2}", "the hand of {1}: sink into {2}",
               "{1}: lift the hand from {2}"],
        outcome="a handprint: be visible in {2}",
        contact="high", motion="low",
    ),
    dict(
        id="nat-contact-04", type="contact", pairing="human-nature",
        objects=[("girl", "girl in a straw hat"), ("wheat", "field of tall golden wheat")],
        image="The edge of a field of tall golden wheat. A girl in a straw hat walks on the path beside it, "
              "her arms close to her body.",
        video="A girl in a straw hat walks along a field of tall golden wheat and lets her open hand brush "
              "over the tops of the stalks, which bend and spring back behind her.",
        subject=1, object=2, action="brushes a hand over {2}", passive="brushed",
        before="{1}: walk beside {2} with arms close to her body",
        steps=["{1}: stretch a hand out toward {2}", "the hand of {1}: touch the tops of {2}",
               "the stalks of {2}: bend under the hand of {1}", "{1}: keep walking with the hand in {2}"],
        outcome="the stalks of {2}: sway behind {1}",
        contact="low", motion="medium",
    ),
    dict(
        id="nat-contact-05", type="contact", pairing="human-nature",
        objects=[("man", "man with rolled-up trousers"), ("wave", "incoming sea wave")],
        image="A sandy shoreline. A man with rolled-up trousers stands barefoot on wet sand; an incoming sea "
              "wave is rolling toward him a few metres away.",
        video="An incoming sea wave rushes up the shore and washes over the bare feet of a man with rolled-up "
              "trousers; he laughs and kicks the foaming water back toward the sea.",
        subject=2, object=1, action="washes over the feet of {1}", passive="splashed",
        before="{2}: roll toward {1} from a distance",
        steps=["{2}: rush up the sand", "{2}: reach the feet of {1}", "foam: cover the feet of {1}",
               "{2}: draw back toward the sea"],
        outcome="the feet of {1}: be wet",
        response=dict(
            subject=1, object=2, action="kicks water at {2}", passive="kicked",
            before="the feet of {1}: be in the foam of {2}",
            steps=["{1}: lift a foot", "{1}: swing the foot through {2}", "water: spray up from {2}",
                   "{1}: put the foot down"],
            outcome="{1}: stand in shallow water",
        ),
        contact="medium", motion="medium",
    ),
    dict(
        id="nat-contact-06", type="contact", pairing="human-nature",
        objects=[("woman", "hiker in a blue rain jacket"), ("rock", "large flat boulder"),
                 ("stream", "clear mountain stream")],
        image="A mountain valley. A hiker in a blue rain jacket stands next to a large flat boulder on the "
              "bank of a clear mountain stream.",
        video="A hiker in a blue rain jacket sits down on a large flat boulder beside a clear mountain "
              "stream, stretches her legs out and leans back on her hands against the rock.",
        subject=1, object=2, action="sits down on {2}", passive="sat on",
        before="{1}: stand beside {2}",
        steps=["{1}: turn her back to {2}", "{1}: lower herself onto {2}", "{1}: sit on {2}",
               "the hands of {1}: press on {2} behind her"],
        outcome="{1}: sit on {2} beside {3}",
        contact="high", motion="low",
    ),
    # --------------------------------------------------------------------------------------------- force
    dict(
        id="nat-force-01", type="force", pairing="human-nature",
        objects=[("man", "man in a black thermal shirt"), ("boulder", "round grey boulder")],
        image="A grassy slope. A round grey boulder rests at the top of the slope; a man in a black thermal "
              "shirt stands behind it, hands at his sides.",
        video="A man in a black thermal shirt braces his hands and shoulder against a round grey boulder at "
              "the top of a grassy slope and pushes until it tips over and rolls down the hill.",
        subject=1, object=2, action="pushes {2} down the slope", passive="pushed",
        before="{2}: rest at the top of the slope",
        steps=["{1}: place both hands on {2}", "{1}: lean into {2}", "{2}: rock forward",
               "{2}: roll down the slope"],
        outcome="{2}: be further down the slope than {1}",
        contact="high", motion="high",
    ),
    dict(
        id="nat-force-02", type="force", pairing="human-nature",
        objects=[("woman", "gardener in yellow gloves"), ("carrot", "carrot plant with leafy green top"),
                 ("soil", "dark garden soil bed")],
        image="A vegetable garden. A carrot plant with a leafy green top grows in a dark garden soil bed; a "
              "gardener in yellow gloves kneels beside it.",
        video="A gardener in yellow gloves grips the leafy green top of a carrot plant and pulls it out of a "
              "dark garden soil bed, lifting an orange carrot with clumps of soil hanging from it.",
        subject=1, object=2, action="pulls {2} out of {3}", passive="pulled out",
        before="{2}: grow in {3}",
        steps=["{1}: grip the leaves of {2}", "{1}: pull upward", "{3}: crack around {2}",
               "the orange root of {2}: come out of {3}"],
        outcome="{2}: be in the hand of {1} above {3}",
        contact="high", motion="medium",
    ),
    dict(
        id="nat-force-03", type="force", pairing="human-nature",
        objects=[("boy", "boy in red rubber boots"), ("leaves", "pile of orange autumn leaves")],
        image="A park path in autumn. A boy in red rubber boots stands two steps in front of a pile of "
              "orange autumn leaves.",
        video="A boy in red rubber boots runs at a pile of orange autumn leaves and kicks through it, sending "
              "leaves flying up into the air around him.",
        subject=1, object=2, action="kicks through {2}", passive="kicked",
        before="{2}: lie in a neat heap in front of {1}",
        steps=["{1}: run toward {2}", "the boot of {1}: enter {2}", "leaves from {2}: fly into the air",
               "leaves: fall around {1}"],
        outcome="{2}: be scattered around {1}",
        contact="medium", motion="high",
    ),
    dict(
        id="nat-force-04", type="force", pairing="human-nature",
        objects=[("man", "woodsman in a red flannel shirt"), ("axe", "long-handled axe"),
                 ("branch", "dead low branch"), ("tree", "old oak tree")],
        image="A forest clearing. An old oak tree has a dead low branch sticking out at chest height; a "
              "woodsman in a red flannel shirt stands beside it holding a long-handled axe.",
        video="A woodsman in a red flannel shirt swings a long-handled axe at a dead low branch of an old "
              "oak tree; after a few strikes the branch cracks and falls to the ground.",
        subject=1, object=3, action="chops {3} off {4} with {2}", passive="chopped off",
        before="{3}: be attached to {4}",
        steps=["{1}: raise {2}", "{2}: strike {3} near {4}", "{3}: crack", "{3}: fall away from {4}"],
        outcome="{3}: lie on the ground below {4}",
        contact="high", motion="high",
    ),
    dict(
        id="nat-force-05", type="force", pairing="human-nature",
        objects=[("man", "man in a green polo shirt"), ("tree", "small apple tree"), ("apple", "red apple")],
        image="An orchard. A man in a green polo shirt stands under a small apple tree with a red apple "
              "hanging on a branch just above his head.",
        video="A man in a green polo shirt grabs the trunk of a small apple tree and shakes it hard; a red "
              "apple drops from a branch and bounces off the top of his head.",
        subject=1, object=2, action="shakes {2}", passive="shaken",
        before="{3}: hang on a branch of {2}",
        steps=["{1}: grab the trunk of {2}", "{1}: push and pull the trunk of {2}",
               "the branches of {2}: sway", "the leaves of {2}: shake"],
        outcome="{2}: be swaying",
        response=dict(
            subject=3, object=1, action="falls onto the head of {1}", passive="hit",
            before="{3}: hang above the head of {1}",
            steps=["{3}: come loose from {2}", "{3}: fall toward {1}", "{3}: hit the head of {1}",
                   "{3}: bounce away from {1}"],
            outcome="{3}: lie on the ground near {1}",
        ),
        contact="high", motion="medium",
    ),
    dict(
        id="nat-force-06", type="force", pairing="human-nature",
        objects=[("woman", "woman in a white ski jacket"), ("shovel", "black snow shovel"),
                 ("snowbank", "waist-high snowbank")],
        image="A driveway after a storm. A waist-high snowbank blocks it; a woman in a white ski jacket stands "
              "in front of it holding a black snow shovel.",
        video="A woman in a white ski jacket drives a black snow shovel into a waist-high snowbank, levers "
              "up a heavy load of snow and throws it to the side.",
        subject=1, object=3, action="digs into {3} with {2}", passive="dug into",
        before="{3}: be untouched in front of {1}",
        steps=["{1}: thrust {2} into {3}", "{1}: lever up the handle of {2}", "{2}: lift a load of snow",
               "{1}: throw the snow aside"],
        outcome="{3}: have a gap dug into it",
        contact="high", motion="high",
    ),
    # ----------------------------------------------------------------------------------------- transport
    dict(
        id="nat-transport-01", type="transport", pairing="human-nature",
        objects=[("man", "camper in a green beanie"), ("log", "dry birch log"), ("campfire", "small campfire")],
        image="A campsite at dusk. A dry birch log lies on the ground at the edge of the clearing; a camper "
              "in a green beanie stands next to it; a small campfire burns a few metres away.",
        video="A camper in a green beanie lifts a dry birch log onto his shoulder, carries it across the "
              "campsite and drops it beside a small campfire.",
        subject=1, object=2, action="carries {2} to {3}", passive="carried",
        before="{2}: lie away from {3}",
        steps=["{1}: lift {2}", "{1}: put {2} on his shoulder", "{1}: walk toward {3} with {2}",
               "{1}: drop {2} beside {3}"],
        outcome="{2}: lie beside {3}",
        contact="high", motion="medium",
    ),
    dict(
        id="nat-transport-02", type="transport", pairing="human-nature",
        objects=[("girl", "girl in a blue swimsuit"), ("shell", "pink conch shell"),
                 ("sandcastle", "sandcastle with two towers")],
        image="A beach. A pink conch shell lies at the waterline; a sandcastle with two towers stands further "
              "up the beach; a girl in a blue swimsuit stands near the shell.",
        video="A girl in a blue swimsuit picks up a pink conch shell at the waterline, runs up the beach and "
              "places it on top of a sandcastle with two towers.",
        subject=1, object=2, action="carries {2} to {3}", passive="carried",
        before="{2}: lie at the waterline far from {3}",
        steps=["{1}: pick up {2}", "{1}: run toward {3} with {2}", "{1}: stop beside {3}",
               "{1}: set {2} on top of {3}"],
        outcome="{2}: rest on {3}",
        contact="medium", motion="high",
    ),
    dict(
        id="nat-transport-03", type="transport", pairing="human-nature",
        objects=[("woman", "woman in a flowered apron"), ("apple", "green apple"),
                 ("basket", "wicker basket")],
        image="An orchard lawn. A green apple lies in the grass; a woman in a flowered apron stands beside it "
              "holding a wicker basket on her arm.",
        video="A woman in a flowered apron bends down, picks up a green apple lying in the grass and drops "
              "it into the wicker basket on her arm.",
        subject=1, object=2, action="puts {2} into {3}", passive="picked up",
        before="{2}: lie in the grass",
        steps=["{1}: bend toward {2}", "the hand of {1}: close around {2}", "{1}: lift {2} over {3}",
               "{1}: drop {2} into {3}"],
        outcome="{2}: be inside {3}",
        contact="medium", motion="medium",
    ),
    dict(
        id="nat-transport-04", type="transport", pairing="human-nature",
        objects=[("man", "man in a striped scarf"), ("snowball", "large snowball")],
        image="A snowy front yard. A large snowball sits in the middle of the yard; a man in a striped "
              "scarf stands behind it with gloved hands.",
        video="A man in a striped scarf pushes a large snowball across a snowy front yard; it rolls forward, "
              "growing bigger and leaving a dark track of bare grass behind it.",
        subject=1, object=2, action="rolls {2} across the yard", passive="rolled",
        before="{2}: sit in the middle of the yard",
        steps=["{1}: put both hands on {2}", "{1}: push {2} forward", "{2}: roll over the snow",
               "a bare track: appear behind {2}"],
        outcome="{2}: be at a new spot in the yard",
        contact="high", motion="medium",
    ),
    dict(
        id="nat-transport-05", type="transport", pairing="human-nature",
        objects=[("gardener", "gardener in a wide-brimmed hat"), ("seedling", "tomato seedling"),
                 ("pot", "small terracotta pot"), ("bed", "raised garden bed")],
        image="A garden. A tomato seedling grows in a small terracotta pot standing on the edge of a raised "
              "garden bed; a gardener in a wide-brimmed hat kneels beside it.",
        video="A gardener in a wide-brimmed hat tips a tomato seedling out of a small terracotta pot, "
              "lowers it with its root ball into a hole in a raised garden bed and presses the soil around it.",
        subject=1, object=2, action="moves {2} from {3} into {4}", passive="replanted",
        before="{2}: be in {3}",
        steps=["{1}: tip {3} over", "{2}: slide out of {3}", "{1}: lower {2} into {4}",
               "{1}: press soil around {2}"],
        outcome="{2}: stand in {4}",
        contact="high", motion="low",
    ),
    dict(
        id="nat-transport-06", type="transport", pairing="human-nature",
        objects=[("boy", "boy in a green t-shirt"), ("stick", "forked stick"), ("river", "fast brown river")],
        image="A riverbank. A boy in a green t-shirt stands at the edge of a fast brown river holding a "
              "forked stick.",
        video="A boy in a green t-shirt throws a forked stick into a fast brown river; the current catches it "
              "and carries it quickly downstream out of sight.",
        subject=1, object=2, action="throws {2} into {3}", passive="thrown",
        before="{2}: be in the hand of {1}",
        steps=["{1}: swing {2} back", "{2}: leave the hand of {1}", "{2}: fly over {3}", "{2}: land in {3}"],
        outcome="{2}: float on {3}",
        response=dict(
            subject=3, object=2, action="carries {2} downstream", passive="carried downstream",
            before="{2}: float near the bank in {3}",
            steps=["{2}: turn in the current of {3}", "{2}: drift away from {1}", "{2}: move downstream in {3}",
                   "{2}: be far from {1}"],
            outcome="{2}: be far downstream",
        ),
        contact="low", motion="high",
    ),
    # -------------------------------------------------------------------------------------- manipulation
    dict(
        id="nat-manipulation-01", type="manipulation", pairing="human-nature",
        objects=[("girl", "girl with curly red hair"), ("daisy", "white daisy")],
        image="A meadow. A white daisy grows in the grass; a girl with curly red hair kneels next to it with "
              "her hands in her lap.",
        video="A girl with curly red hair kneeling in a meadow picks a white daisy growing in the grass, "
              "snaps its stem short and tucks the flower behind her ear.",
        subject=1, object=2, action="picks {2} and tucks it behind her ear", passive="picked",
        before="{2}: grow in the grass",
        steps=["{1}: pinch the stem of {2}", "{1}: pull {2} out of the grass", "{1}: raise {2} to her head",
               "{1}: tuck {2} behind her ear"],
        outcome="{2}: be behind the ear of {1}",
        contact="medium", motion="low",
    ),
    dict(
        id="nat-manipulation-02", type="manipulation", pairing="human-nature",
        objects=[("man", "man in swim shorts"), ("sand", "damp beach sand")],
        image="A beach. A shapeless mound of damp sand sits in front of a man in swim shorts, who kneels "
              "beside it.",
        video="A man in swim shorts kneels by a shapeless mound of damp sand and pats and carves it with his "
              "hands into a tall tower with straight sides.",
        subject=1, object=2, action="shapes {2} into a tower", passive="shaped",
        before="{2}: be a shapeless heap",
        steps=["{1}: pat the sides of {2}", "{1}: scrape sand away from {2}", "{2}: grow taller",
               "{1}: smooth the top of {2}"],
        outcome="{2}: be shaped into a tower with straight sides",
        contact="high", motion="low",
    ),
    dict(
        id="nat-manipulation-03", type="manipulation", pairing="human-nature",
        objects=[("hiker", "hiker in a grey fleece"), ("stream", "small clear stream")],
        image="A forest. A hiker in a grey fleece crouches at a small clear stream, hands on his knees.",
        video="A hiker in a grey fleece crouching at a small clear stream cups both hands, scoops water out "
              "of the stream, lifts it to his mouth and drinks.",
        subject=1, object=2, action="scoops water from {2}", passive="drunk from",
        before="the hands of {1}: rest on his knees",
        steps=["{1}: cup his hands", "the hands of {1}: dip into {2}", "{1}: lift water out of {2}",
               "{1}: bring the water to his mouth"],
        outcome="{1}: drink from his hands",
        contact="medium", motion="low",
    ),
    dict(
        id="nat-manipulation-04", type="manipulation", pairing="human-nature",
        objects=[("child", "boy in a yellow t-shirt"), ("dandelion", "dandelion on a long stem")],
        image="A sunny lawn. A boy in a yellow t-shirt holds a white dandelion seed head on its stem in front "
              "of his face.",
        video="A boy in a yellow t-shirt blows on a white dandelion seed head; the seeds detach and drift away "
              "on the breeze, leaving a bare stem in his hand.",
        subject=1, object=2, action="blows the seeds off {2}", passive="blown on",
        before="the head of {2}: be full of white seeds",
        steps=["{1}: bring {2} to his lips", "{1}: blow on {2}", "seeds: lift off {2}",
               "seeds: drift away from {1}"],
        outcome="the head of {2}: be bare",
        contact="low", motion="low",
    ),
    dict(
        id="nat-manipulation-05", type="manipulation", pairing="human-nature",
        objects=[("woman", "woman in a grey beanie"), ("stone", "flat grey stone"),
                 ("stack", "stack of three stones")],
        image="A pebble beach. A stack of three stones stands on a rock; a flat grey stone lies beside it; a "
              "woman in a grey beanie kneels next to them.",
        video="A woman in a grey beanie picks up a flat grey stone and carefully balances it on top of a "
              "stack of three stones, adjusting it until it stays still.",
        subject=1, object=2, action="balances {2} on {3}", passive="balanced",
        before="{2}: lie beside {3}",
        steps=["{1}: pick up {2}", "{1}: hold {2} above {3}", "{2}: touch the top of {3}",
               "{1}: let go of {2}"],
        outcome="{2}: rest on top of {3}",
        contact="medium", motion="low",
    ),
    dict(
        id="nat-manipulation-06", type="manipulation", pairing="human-nature",
        objects=[("woman", "gardener in a striped long-sleeve top"), ("rosebush", "thorny rosebush"),
                 ("shears", "pair of red-handled pruning shears")],
        image="A rose garden. A thorny rosebush has an overgrown stem; a gardener in a striped long-sleeve top "
              "stands next to it holding red-handled pruning shears.",
        video="A gardener in a striped long-sleeve top cuts an overgrown stem of a thorny rosebush with "
              "red-handled pruning shears; as she pulls back, a thorny branch catches her sleeve.",
        subject=1, object=2, action="prunes {2} with {3}", passive="pruned",
        before="{2}: have an overgrown stem",
        steps=["{1}: open {3}", "{1}: place the blades of {3} around a stem of {2}", "{1}: close {3}",
               "the cut stem of {2}: fall"],
        outcome="{2}: be missing the overgrown stem",
        response=dict(
            subject=2, object=1, action="snags the sleeve of {1}", passive="snagged",
            before="the sleeve of {1}: be free",
            steps=["{1}: pull back the arm", "a branch of {2}: touch the sleeve of {1}",
                   "the thorns of {2}: hook the sleeve of {1}", "the sleeve of {1}: be pulled taut"],
            outcome="the sleeve of {1}: be caught on {2}",
        ),
        contact="medium", motion="low",
    ),
    # -------------------------------------------------------------------------------------------- social
    dict(
        id="nat-social-01", type="social", pairing="human-nature",
        objects=[("woman", "woman in a long green dress"), ("tree", "broad old oak tree")],
        image="A quiet park. A woman in a long green dress stands a metre away from a broad old oak tree, "
              "arms at her sides.",
        video="A woman in a long green dress walks up to a broad old oak tree, wraps her arms around its "
              "trunk and rests her cheek against the bark, eyes closed.",
        subject=1, object=2, action="hugs {2}", passive="hugged",
        before="{1}: stand apart from {2}",
        steps=["{1}: walk toward {2}", "{1}: spread her arms", "the arms of {1}: wrap around the trunk of {2}",
               "the cheek of {1}: rest on the bark of {2}"],
        outcome="{1}: embrace the trunk of {2}",
        contact="high", motion="low",
    ),
    dict(
        id="nat-social-02", type="social", pairing="human-nature",
        objects=[("man", "man in a white kurta"), ("sun", "rising sun")],
        image="A hilltop at dawn. A man in a white kurta stands facing a rising sun just above the horizon, "
              "his arms hanging at his sides.",
        video="A man in a white kurta standing on a hilltop at dawn raises both arms wide toward the rising "
              "sun in greeting and bows his head.",
        subject=1, object=2, action="greets {2} with raised arms", passive="greeted",
        before="{1}: face {2} with the arms hanging down",
        steps=["{1}: lift both arms", "the arms of {1}: spread wide toward {2}", "{1}: bow his head",
               "{1}: hold the arms raised toward {2}"],
        outcome="{1}: stand with the arms raised toward {2}",
        contact="low", motion="low",
    ),
    dict(
        id="nat-social-03", type="social", pairing="human-nature",
        objects=[("girl", "girl in a lavender cardigan"), ("rose", "red rose on a bush")],
        image="A garden. A red rose blooms on a bush at face height; a girl in a lavender cardigan stands "
              "one step away from it.",
        video="A girl in a lavender cardigan steps up to a red rose on a bush, cups the bloom in her hand, "
              "leans in and smells it with her eyes closed.",
        subject=1, object=2, action="smells {2}", passive="smelled",
        before="{1}: stand one step away from {2}",
        steps=["{1}: step toward {2}", "the hand of {1}: cup {2}", "{1}: lean her face toward {2}",
               "the nose of {1}: be close to {2}"],
        outcome="{1}: stand with her face near {2}",
        contact="low", motion="low",
    ),
    dict(
        id="nat-social-04", type="social", pairing="human-nature",
        objects=[("man", "monk in an orange robe"), ("waterfall", "tall white waterfall")],
        image="The pool below a tall white waterfall. A monk in an orange robe stands on the rocks facing "
              "the waterfall, hands at his sides.",
        video="A monk in an orange robe standing on the rocks before a tall white waterfall presses his "
              "palms together and bows deeply toward the falling water.",
        subject=1, object=2, action="bows to {2}", passive="bowed to",
        before="{1}: stand upright facing {2}",
        steps=["{1}: bring the palms together", "{1}: hold the palms at the chest", "{1}: bend forward toward {2}",
               "{1}: stay bent toward {2}"],
        outcome="{1}: straighten up facing {2}",
        contact="low", motion="low",
    ),
    dict(
        id="nat-social-05", type="social", pairing="human-nature",
        objects=[("girl", "girl in a red swimsuit"), ("water", "calm blue lake water")],
        image="A lakeshore. A girl in a red swimsuit stands knee-deep in a calm blue lake, hands just above "
              "the water.",
        video="A girl in a red swimsuit standing knee-deep in a calm blue lake sweeps her hands through the "
              "water and splashes it up into the air; the droplets rain back down onto her face and she laughs.",
        subject=1, object=2, action="splashes {2} into the air", passive="splashed",
        before="the hands of {1}: be just above {2}",
        steps=["the hands of {1}: dip into {2}", "{1}: sweep the hands upward", "water: fly up from {2}",
               "droplets: be in the air above {1}"],
        outcome="{2}: ripple around {1}",
        response=dict(
            subject=2, object=1, action="splashes back down onto {1}", passive="splashed",
            before="droplets of {2}: be high in the air",
            steps=["droplets of {2}: fall toward {1}", "droplets of {2}: land on the face of {1}",
                   "{1}: close her eyes", "{1}: laugh"],
            outcome="the face of {1}: be wet",
        ),
        contact="medium", motion="medium",
    ),
    dict(
        id="nat-social-06", type="social", pairing="human-nature",
        objects=[("man", "grandfather with a white beard"), ("child", "granddaughter in a yellow raincoat"),
                 ("tree", "huge cedar tree")],
        image="An old forest. A grandfather with a white beard and a granddaughter in a yellow raincoat stand "
              "hand in hand a few steps from a huge cedar tree.",
        video="A grandfather with a white beard and his granddaughter in a yellow raincoat walk up to a huge "
              "cedar tree; the grandfather lays his palm on the bark and the girl copies him, both smiling up at it.",
        subject=1, object=3, action="lays a palm on {3}", passive="touched",
        before="{1} and {2}: stand a few steps from {3}",
        steps=["{1} and {2}: walk toward {3}", "{1}: raise a hand to {3}",
               "the palm of {1}: rest on the bark of {3}", "the hand of {2}: touch {3}"],
        outcome="{1} and {2}: stand with their hands on {3}",
        contact="medium", motion="low",
    ),
]
