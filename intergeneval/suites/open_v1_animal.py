"""intergeneval-open-v1 source: human–animal scenarios (written for this project)."""

# ruff: noqa: E501  (scenario text reads better unwrapped at the margin)

SCENARIOS = [
    # ------------------------------------------------------------------------------------------- contact
    dict(
        id="ani-contact-01", type="contact", pairing="human-animal",
        objects=[("vet", "veterinarian in blue scrubs"), ("dog", "tricolour beagle"),
                 ("stethoscope", "black stethoscope")],
        image="A veterinary clinic. A beagle stands on a steel exam table; a veterinarian in blue scrubs "
              "stands beside it with a black stethoscope hanging around her neck.",
        video="A veterinarian in blue scrubs takes the black stethoscope from around her neck and presses "
              "its chest piece against the side of a beagle standing on an exam table, listening quietly.",
        subject=1, object=2, action="listens to the chest of {2} with {3}", passive="examined",
        before="{3}: hang around the neck of {1}",
        steps=["{1}: take {3} from around her neck", "{1}: move the end of {3} toward {2}",
               "the end of {3}: press against the side of {2}", "{1}: hold {3} still against {2}"],
        outcome="{3}: touch the chest of {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="ani-contact-02", type="contact", pairing="human-animal",
        objects=[("man", "man in a green cardigan"), ("cat", "ginger cat")],
        image="A windowsill. A ginger cat sits on it; a man in a green cardigan stands beside it, his right "
              "hand resting on the sill a short distance from the cat.",
        video="A ginger cat on a windowsill bats at the hand of a man in a green cardigan with its paw; the "
              "man playfully taps the cat on the nose with one finger and the cat blinks.",
        subject=2, object=1, action="paws at the hand of {1}", passive="pawed at",
        before="the hand of {1}: rest on the sill near {2}",
        steps=["{2}: look at the hand of {1}", "{2}: lift a front paw", "the paw of {2}: touch the hand of {1}",
               "{2}: pull the paw back"],
        outcome="{2}: sit with all paws on the sill",
        response=dict(
            subject=1, object=2, action="taps {2} on the nose", passive="tapped on the nose",
            before="the hand of {1}: rest on the sill",
            steps=["{1}: lift a finger", "{1}: move the finger toward the face of {2}",
                   "the finger of {1}: touch the nose of {2}", "{2}: blink"],
            outcome="{1}: draw the hand back from {2}",
        ),
        contact="medium", motion="low",
    ),
    dict(
        id="ani-contact-03", type="contact", pairing="human-animal",
        objects=[("girl", "girl in a white sundress"), ("butterfly", "orange monarch butterfly")],
        image="A flower garden. A girl in a white sundress stands holding out her right index finger; an "
              "orange monarch butterfly flutters half a metre away above the flowers.",
        video="In a flower garden, an orange monarch butterfly flutters toward a girl in a white sundress and "
              "lands on her outstretched index finger, slowly opening and closing its wings.",
        subject=2, object=1, action="lands on the finger of {1}", passive="touched",
        before="{2}: fly apart from {1}",
        steps=["{2}: fly toward the hand of {1}", "{2}: hover above the finger of {1}",
               "the legs of {2}: touch the finger of {1}", "{2}: fold its wings on the finger of {1}"],
        outcome="{2}: sit on the finger of {1}",
        contact="low", motion="medium",
    ),
    dict(
        id="ani-contact-04", type="contact", pairing="human-animal",
        objects=[("child", "boy in a blue raincoat"), ("tortoise", "large tortoise")],
        image="A zoo enclosure lawn. A large tortoise rests on the grass; a boy in a blue raincoat crouches "
              "beside it with his hands on his knees.",
        video="A boy in a blue raincoat crouching next to a large tortoise reaches out and lays his palm flat "
              "on the top of its shell, holding it there as the tortoise stays still.",
        subject=1, object=2, action="lays a palm on the shell of {2}", passive="touched",
        before="{1}: crouch beside {2} with his hands on his knees",
        steps=["{1}: reach a hand toward {2}", "the hand of {1}: hover over the shell of {2}",
               "the palm of {1}: rest on the shell of {2}", "{2}: stay still under the hand of {1}"],
        outcome="the hand of {1}: be on the shell of {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="ani-contact-05", type="contact", pairing="human-animal",
        objects=[("woman", "woman in a quilted vest"), ("horse", "chestnut horse with a white blaze")],
        image="A paddock fence. A woman in a quilted vest stands with her back half turned to a chestnut "
              "horse with a white blaze, whose head is over the fence.",
        video="A chestnut horse with a white blaze stretches its head over the paddock fence and nudges the "
              "shoulder of a woman in a quilted vest with its muzzle; she turns around toward it.",
        subject=2, object=1, action="nudges {1} with its muzzle", passive="nudged",
        before="{1}: stand with her back half turned to {2}",
        steps=["{2}: stretch its head toward {1}", "the muzzle of {2}: touch the shoulder of {1}",
               "{2}: push the shoulder of {1}", "{1}: turn toward {2}"],
        outcome="{1}: face {2}",
        contact="medium", motion="medium",
    ),
    dict(
        id="ani-contact-06", type="contact", pairing="human-animal",
        objects=[("man", "man in a khaki safari shirt"), ("parrot", "green parrot"),
                 ("perch", "wooden perch")],
        image="An aviary. A green parrot sits on a wooden perch; a man in a khaki safari shirt stands next to "
              "it with his left arm held out horizontally.",
        video="A green parrot hops from a wooden perch onto the outstretched forearm of a man in a khaki "
              "safari shirt, grips his sleeve with its claws and settles there.",
        subject=2, object=1, action="steps onto the arm of {1}", passive="stepped onto",
        before="{2}: sit on {3} beside the arm of {1}",
        steps=["{2}: lean toward the arm of {1}", "{2}: lift off {3}", "the claws of {2}: grip the arm of {1}",
               "{2}: balance on the arm of {1}"],
        outcome="{2}: sit on the arm of {1}, away from {3}",
        contact="medium", motion="low",
    ),
    # --------------------------------------------------------------------------------------------- force
    dict(
        id="ani-force-01", type="force", pairing="human-animal",
        objects=[("man", "farmer in a straw hat"), ("donkey", "grey donkey"), ("rope", "red lead rope")],
        image="A dirt farm track. A grey donkey stands with its legs planted; a farmer in a straw hat stands "
              "in front of it holding a red lead rope clipped to its halter.",
        video="A farmer in a straw hat leans back and pulls hard on a red lead rope attached to a stubborn "
              "grey donkey, until the donkey takes a few reluctant steps forward along the track.",
        subject=1, object=2, action="pulls {2} forward by {3}", passive="pulled forward",
        before="{3}: hang slack between {1} and {2}",
        steps=["{1}: wrap {3} around a hand", "{3}: be taut between {1} and {2}", "{1}: lean backward",
               "{2}: step forward"],
        outcome="{2}: be further along the track",
        contact="low", motion="medium",
    ),
    dict(
        id="ani-force-02", type="force", pairing="human-animal",
        objects=[("girl", "girl in a teal hoodie"), ("dog", "black labrador"), ("toy", "knotted rope toy")],
        image="A backyard lawn. A girl in a teal hoodie and a black labrador stand facing each other; a "
              "knotted rope toy lies on the grass between them.",
        video="A black labrador grabs one end of a knotted rope toy and pulls backward while a girl in a teal "
              "hoodie holds the other end; she leans back and tugs, and they play tug-of-war.",
        subject=2, object=3, action="pulls {3} away from {1}", passive="pulled",
        before="{3}: lie on the grass between {1} and {2}",
        steps=["{2}: bite one end of {3}", "{2}: step backward", "{3}: be taut between {1} and {2}",
               "{2}: shake its head while pulling {3}"],
        outcome="{2}: hold {3} in its mouth",
        response=dict(
            subject=1, object=3, action="tugs {3} back from {2}", passive="tugged",
            before="{1}: stand with empty hands",
            steps=["{1}: grab the free end of {3}", "{1}: lean backward", "{1}: pull {3} toward herself",
                   "{2}: slide forward toward {1}"],
            outcome="{1}: hold {3}",
        ),
        contact="medium", motion="high",
    ),
    dict(
        id="ani-force-03", type="force", pairing="human-animal",
        objects=[("rider", "rider in a black helmet"), ("horse", "bay horse")],
        image="An open meadow. A rider in a black helmet sits on a bay horse galloping across the grass, "
              "holding the reins loosely.",
        video="A rider in a black helmet on a galloping bay horse pulls the reins back firmly; the horse "
              "lifts its head, slows to a trot and then stops in the meadow.",
        subject=1, object=2, action="reins in {2}", passive="reined in",
        before="{2}: gallop with {1} holding loose reins",
        steps=["{1}: shorten the reins", "{1}: pull the reins back", "{2}: raise its head",
               "{2}: slow down"],
        outcome="{2}: stand still with {1} on its back",
        contact="high", motion="high",
    ),
    dict(
        id="ani-force-04", type="force", pairing="human-animal",
        objects=[("man", "farmer in blue overalls"), ("goat", "white goat with curved horns")],
        image="A farmyard. A farmer in blue overalls stands with his back to a white goat with curved horns, "
              "which faces him three metres away with its head lowered.",
        video="A white goat with curved horns lowers its head, charges across the farmyard and butts a "
              "farmer in blue overalls in the back of the leg; he staggers forward.",
        subject=2, object=1, action="butts {1}", passive="butted",
        before="{2}: stand apart from {1} with its head lowered",
        steps=["{2}: run toward {1}", "the horns of {2}: hit the leg of {1}", "{1}: stagger forward",
               "{2}: step back"],
        outcome="{1}: be off balance in front of {2}",
        contact="medium", motion="high",
    ),
    dict(
        id="ani-force-05", type="force", pairing="human-animal",
        objects=[("man", "shepherd in a wool coat"), ("sheep", "fluffy white sheep"),
                 ("pen", "wooden sheep pen")],
        image="A hillside field. A fluffy white sheep stands at the open gate of a wooden sheep pen; a "
              "shepherd in a wool coat stands behind the sheep.",
        video="A shepherd in a wool coat puts both hands on the rump of a fluffy white sheep standing at the "
              "gate of a wooden pen and pushes it through the gate into the pen.",
        subject=1, object=2, action="pushes {2} into {3}", passive="pushed",
        before="{2}: stand outside {3}",
        steps=["{1}: place both hands on {2}", "{1}: lean into {2}", "{2}: move through the gate of {3}",
               "{1}: take his hands off {2}"],
        outcome="{2}: be inside {3}",
        contact="high", motion="medium",
    ),
    dict(
        id="ani-force-06", type="force", pairing="human-animal",
        objects=[("man", "young man in a white t-shirt"), ("dog", "huge Saint Bernard")],
        image="A grassy garden. A young man in a white t-shirt stands on the lawn; a huge Saint Bernard "
              "runs toward him from three metres away.",
        video="A huge Saint Bernard runs at a young man in a white t-shirt, jumps up, plants its front paws on "
              "his chest and knocks him backward onto the lawn.",
        subject=2, object=1, action="knocks {1} over", passive="knocked over",
        before="{1}: stand upright on the lawn",
        steps=["{2}: run at {1}", "{2}: jump up", "the front paws of {2}: press on the chest of {1}",
               "{1}: fall backward"],
        outcome="{1}: lie on the lawn under {2}",
        contact="high", motion="high",
    ),
    # ----------------------------------------------------------------------------------------- transport
    dict(
        id="ani-transport-01", type="transport", pairing="human-animal",
        objects=[("woman", "woman in a mustard sweater"), ("puppy", "small beige puppy")],
        image="A wooden porch. A small beige puppy sits on the porch boards; a woman in a mustard sweater "
              "stands next to it.",
        video="A woman in a mustard sweater scoops up a small beige puppy from the porch, cradles it in her "
              "arms, walks down the steps and sets it down on the lawn.",
        subject=1, object=2, action="carries {2} to the lawn", passive="carried",
        before="{2}: sit on the porch boards",
        steps=["{1}: bend down to {2}", "{1}: lift {2} up", "{1}: walk down the steps holding {2}",
               "{1}: lower {2} onto the lawn"],
        outcome="{2}: stand on the lawn",
        contact="high", motion="medium",
    ),
    dict(
        id="ani-transport-02", type="transport", pairing="human-animal",
        objects=[("man", "stable hand in a brown jacket"), ("horse", "grey dappled horse"),
                 ("stable", "red barn stable")],
        image="A farmyard. A grey dappled horse stands in the open yard; a stable hand in a brown jacket "
              "holds its reins; the open door of a red barn stable is behind them.",
        video="A stable hand in a brown jacket leads a grey dappled horse by its reins across the farmyard "
              "and through the open door into a red barn stable.",
        subject=1, object=2, action="leads {2} into {3}", passive="led",
        before="{2}: stand in the yard outside {3}",
        steps=["{1}: hold the reins of {2}", "{1}: walk toward {3}", "{2}: follow {1}",
               "{2}: pass through the door of {3}"],
        outcome="{2}: be inside {3}",
        contact="low", motion="medium",
    ),
    dict(
        id="ani-transport-03", type="transport", pairing="human-animal",
        objects=[("girl", "girl in a denim dress"), ("cat", "grey tabby cat"),
                 ("windowsill", "wide white windowsill")],
        image="A sunny room. A grey tabby cat sits on the floor; a girl in a denim dress kneels next to it "
              "below a wide white windowsill.",
        video="A girl in a denim dress picks up a grey tabby cat from the floor, lifts it up, and sets it on "
              "a wide white windowsill in the sunshine.",
        subject=1, object=2, action="lifts {2} onto {3}", passive="lifted",
        before="{2}: sit on the floor below {3}",
        steps=["{1}: put her hands around {2}", "{1}: lift {2} off the floor", "{2}: be level with {3}",
               "{1}: set {2} on {3}"],
        outcome="{2}: sit on {3}",
        contact="high", motion="medium",
    ),
    dict(
        id="ani-transport-04", type="transport", pairing="human-animal",
        objects=[("man", "man in a navy parka"), ("dog", "border collie"), ("stick", "short wooden stick")],
        image="A beach. A man in a navy parka holds a short wooden stick; a border collie sits beside him "
              "looking up at it.",
        video="A man in a navy parka throws a short wooden stick along the beach; a border collie races "
              "after it, picks it up in its mouth, runs back and drops it at his feet.",
        subject=1, object=3, action="throws {3}", passive="thrown",
        before="{3}: be in the hand of {1}",
        steps=["{1}: swing {3} back", "{3}: leave the hand of {1}", "{3}: fly through the air",
               "{3}: land on the sand far from {1}"],
        outcome="{3}: lie on the sand away from {1}",
        response=dict(
            subject=2, object=3, action="brings {3} back to {1}", passive="brought back",
            before="{2}: sit beside {1}",
            steps=["{2}: run to {3}", "{2}: pick up {3} in its mouth", "{2}: run back toward {1}",
                   "{2}: drop {3} at the feet of {1}"],
            outcome="{3}: lie at the feet of {1}",
        ),
        contact="low", motion="high",
    ),
    dict(
        id="ani-transport-05", type="transport", pairing="human-animal",
        objects=[("rider", "rider in a red jacket"), ("horse", "black horse")],
        image="The edge of a field. A rider in a red jacket sits on a black horse standing still at a gate.",
        video="A black horse with a rider in a red jacket on its back canters from the gate across a wide "
              "field, carrying the rider to the far side.",
        subject=2, object=1, action="carries {1} across the field", passive="carried",
        before="{2}: stand still at the gate with {1} on its back",
        steps=["{2}: start walking", "{2}: canter across the field", "{1}: sit on {2} while it moves",
               "{2}: approach the far side of the field"],
        outcome="{2} and {1}: be far from the gate",
        contact="high", motion="high",
    ),
    dict(
        id="ani-transport-06", type="transport", pairing="human-animal",
        objects=[("farmer", "farmer in a green apron"), ("hen", "brown hen"), ("hen", "white hen"),
                 ("coop", "wooden chicken coop")],
        image="A farmyard. A brown hen and a white hen peck at the ground; a farmer in a green apron stands "
              "between them; a wooden chicken coop with an open door stands nearby.",
        video="A farmer in a green apron picks up a brown hen and a white hen, one under each arm, carries "
              "them across the yard and places them inside a wooden chicken coop.",
        subject=1, object=[2, 3], action="carries {2} and {3} into {4}", passive="carried",
        before="{2} and {3}: peck at the ground outside {4}",
        steps=["{1}: pick up {2}", "{1}: pick up {3}", "{1}: walk toward {4} holding {2} and {3}",
               "{1}: put {2} and {3} inside {4}"],
        outcome="{2} and {3}: be inside {4}",
        contact="high", motion="medium",
    ),
    # -------------------------------------------------------------------------------------- manipulation
    dict(
        id="ani-manipulation-01", type="manipulation", pairing="human-animal",
        objects=[("groomer", "dog groomer in a pink smock"), ("poodle", "white poodle"),
                 ("scissors", "pair of silver grooming scissors")],
        image="A grooming salon. A white poodle with long fluffy fur stands on a grooming table; a dog "
              "groomer in a pink smock holds silver grooming scissors beside it.",
        video="A dog groomer in a pink smock trims the fluffy fur on the head of a white poodle with silver "
              "grooming scissors; tufts of white fur fall onto the table.",
        subject=1, object=2, action="trims the fur of {2} with {3}", passive="trimmed",
        before="the fur of {2}: be long and fluffy",
        steps=["{1}: hold {3} near the head of {2}", "{3}: close on the fur of {2}",
               "tufts of fur: fall from {2}", "{1}: move {3} along the head of {2}"],
        outcome="the fur of {2}: be shorter on its head",
        contact="medium", motion="low",
    ),
    dict(
        id="ani-manipulation-02", type="manipulation", pairing="human-animal",
        objects=[("girl", "girl in a mint t-shirt"), ("puppy", "brown dachshund puppy"),
                 ("collar", "red collar")],
        image="A kitchen floor. A brown dachshund puppy sits in front of a girl in a mint t-shirt, who "
              "kneels holding an open red collar.",
        video="A girl in a mint t-shirt kneels, wraps an open red collar around the neck of a brown "
              "dachshund puppy and fastens its buckle, then pats the puppy's back.",
        subject=1, object=2, action="buckles {3} around the neck of {2}", passive="fitted with {3}",
        before="{3}: be open in the hands of {1}",
        steps=["{1}: hold {3} up to the neck of {2}", "{1}: wrap {3} around the neck of {2}",
               "{1}: fasten the buckle of {3}", "{1}: let go of {3}"],
        outcome="{3}: be around the neck of {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="ani-manipulation-03", type="manipulation", pairing="human-animal",
        objects=[("woman", "farmer in a checked headscarf"), ("goat", "brown nanny goat"),
                 ("bucket", "steel milk bucket")],
        image="A barn. A brown nanny goat stands on a milking stand; a farmer in a checked headscarf sits on "
              "a stool beside it with a steel milk bucket under the goat.",
        video="A farmer in a checked headscarf milks a brown nanny goat by hand; thin streams of milk squirt "
              "down into a steel milk bucket placed beneath the goat.",
        subject=1, object=2, action="milks {2} into {3}", passive="milked",
        before="{3}: stand empty under {2}",
        steps=["{1}: reach under {2}", "the hands of {1}: grasp the udder of {2}",
               "{1}: squeeze with a rhythmic motion", "milk: stream into {3}"],
        outcome="milk: be in {3}",
        contact="high", motion="low",
    ),
    dict(
        id="ani-manipulation-04", type="manipulation", pairing="human-animal",
        objects=[("vet", "veterinarian in green scrubs"), ("dog", "golden retriever"),
                 ("bandage", "purple elastic bandage")],
        image="A clinic floor. A golden retriever lies on a blanket holding up its front left paw; a "
              "veterinarian in green scrubs kneels beside it with a roll of purple elastic bandage.",
        video="A veterinarian in green scrubs holds the raised front paw of a golden retriever and wraps a "
              "purple elastic bandage around it several times, pressing the end down.",
        subject=1, object=2, action="bandages the paw of {2} with {3}", passive="bandaged",
        before="the front paw of {2}: be bare",
        steps=["{1}: hold the paw of {2}", "{1}: wrap {3} around the paw of {2}",
               "{3}: cover the paw of {2}", "{1}: press down the end of {3}"],
        outcome="the paw of {2}: be wrapped in {3}",
        contact="high", motion="low",
    ),
    dict(
        id="ani-manipulation-05", type="manipulation", pairing="human-animal",
        objects=[("woman", "woman in riding boots"), ("horse", "palomino horse"),
                 ("brush", "wooden grooming brush")],
        image="A stable aisle. A palomino horse with a tangled pale mane stands tied up; a woman in riding "
              "boots stands at its neck holding a wooden grooming brush.",
        video="A woman in riding boots brushes the tangled pale mane of a palomino horse with a wooden "
              "grooming brush, long strokes from the top of the neck downward until the mane lies smooth.",
        subject=1, object=2, action="brushes the mane of {2} with {3}", passive="brushed",
        before="the mane of {2}: be tangled",
        steps=["{1}: lift {3} to the neck of {2}", "{3}: touch the mane of {2}",
               "{1}: pull {3} down through the mane of {2}", "{1}: repeat the stroke"],
        outcome="the mane of {2}: lie smooth",
        contact="high", motion="low",
    ),
    dict(
        id="ani-manipulation-06", type="manipulation", pairing="human-animal",
        objects=[("man", "old man in a flat cap"), ("dog", "scruffy terrier"), ("treat", "bone-shaped dog treat")],
        image="A park bench. An old man in a flat cap sits holding a wrapped dog treat; a scruffy terrier "
              "sits at his feet looking up.",
        video="An old man in a flat cap unwraps a dog treat and holds it out; a scruffy terrier at his feet "
              "takes the treat from his fingers with its mouth and chews it.",
        subject=1, object=3, action="unwraps {3}", passive="unwrapped",
        before="{3}: be in its wrapper in the hands of {1}",
        steps=["{1}: hold {3} in both hands", "{1}: peel the wrapper from {3}", "{3}: be unwrapped",
               "{1}: hold {3} out toward {2}"],
        outcome="{3}: be unwrapped in front of {2}",
        response=dict(
            subject=2, object=3, action="takes {3} from {1}", passive="taken",
            before="{2}: sit at the feet of {1}",
            steps=["{2}: stretch its neck toward {3}", "the mouth of {2}: close on {3}",
                   "{2}: pull {3} out of the fingers of {1}", "{2}: chew {3}"],
            outcome="{3}: be in the mouth of {2}",
        ),
        contact="medium", motion="low",
    ),
    # -------------------------------------------------------------------------------------------- social
    dict(
        id="ani-social-01", type="social", pairing="human-animal",
        objects=[("woman", "woman in a cream knit sweater"), ("cat", "fluffy grey cat")],
        image="A sofa. A woman in a cream knit sweater sits with a fluffy grey cat curled up on her lap; her "
              "hands rest on the armrest.",
        video="A woman in a cream knit sweater sitting on a sofa strokes a fluffy grey cat curled on her "
              "lap, running her hand slowly from its head down its back; the cat stretches contentedly.",
        subject=1, object=2, action="strokes {2}", passive="stroked",
        before="the hands of {1}: rest on the armrest",
        steps=["{1}: move a hand to the head of {2}", "the hand of {1}: touch the fur of {2}",
               "{1}: run the hand along the back of {2}", "{2}: stretch on the lap of {1}"],
        outcome="{2}: lie on the lap of {1}",
        contact="high", motion="low",
    ),
    dict(
        id="ani-social-02", type="social", pairing="human-animal",
        objects=[("boy", "boy in a superhero t-shirt"), ("dog", "golden puppy")],
        image="A garden lawn. A boy in a superhero t-shirt kneels on the grass; a golden puppy stands a metre "
              "in front of him, tail wagging.",
        video="A golden puppy bounds up to a boy in a superhero t-shirt kneeling on the lawn and licks his "
              "cheek; the boy laughs and wraps his arms around the puppy in a hug.",
        subject=2, object=1, action="licks the face of {1}", passive="licked",
        before="{2}: stand a metre away from {1}",
        steps=["{2}: run to {1}", "{2}: stretch its head toward the face of {1}",
               "the tongue of {2}: touch the cheek of {1}", "{1}: lean back laughing"],
        outcome="{2}: be close to the face of {1}",
        response=dict(
            subject=1, object=2, action="hugs {2}", passive="hugged",
            before="the arms of {1}: be at his sides",
            steps=["{1}: open his arms", "the arms of {1}: wrap around {2}", "{1}: pull {2} against his chest",
                   "{1}: hold {2}"],
            outcome="{2}: be in the arms of {1}",
        ),
        contact="high", motion="medium",
    ),
    dict(
        id="ani-social-03", type="social", pairing="human-animal",
        objects=[("girl", "girl in a riding helmet"), ("horse", "white pony"), ("carrot", "orange carrot"),
                 ("fence", "wooden paddock fence")],
        image="A paddock. A girl in a riding helmet stands on one side of a wooden paddock fence holding an "
              "orange carrot; a white pony stands on the other side, a few steps back.",
        video="A girl in a riding helmet holds an orange carrot over a wooden paddock fence; a white pony "
              "walks up, takes the carrot from her flat palm and munches it.",
        subject=1, object=2, action="feeds {3} to {2}", passive="fed",
        before="{3}: be in the hand of {1} on her side of {4}",
        steps=["{1}: hold {3} out over {4}", "{2}: walk toward {1}", "the mouth of {2}: reach {3}",
               "{2}: take {3} from the hand of {1}"],
        outcome="{3}: be in the mouth of {2}",
        contact="medium", motion="low",
    ),
    dict(
        id="ani-social-04", type="social", pairing="human-animal",
        objects=[("man", "man in a yellow raincoat"), ("dog", "dalmatian")],
        image="A large backyard. A man in a yellow raincoat stands at the back door; a dalmatian lies on the "
              "grass at the far end of the yard.",
        video="A man in a yellow raincoat at the back door waves to a dalmatian lying at the far end of the "
              "yard; the dog jumps up and runs to him wagging its tail and jumps up against his legs.",
        subject=1, object=2, action="waves to {2}", passive="waved to",
        before="{2}: lie at the far end of the yard from {1}",
        steps=["{1}: look at {2}", "{1}: raise a hand", "the hand of {1}: wave from side to side",
               "{2}: lift its head toward {1}"],
        outcome="{2}: look at {1}",
        response=dict(
            subject=2, object=1, action="runs up to greet {1}", passive="greeted",
            before="{2}: lie on the grass",
            steps=["{2}: stand up", "{2}: run toward {1}", "the tail of {2}: wag",
                   "the front paws of {2}: rest against the legs of {1}"],
            outcome="{2}: be next to {1}",
        ),
        contact="low", motion="high",
    ),
    dict(
        id="ani-social-05", type="social", pairing="human-animal",
        objects=[("woman", "woman in a purple fleece"), ("dog", "husky with blue eyes")],
        image="A snowy yard. A woman in a purple fleece crouches in front of a sitting husky with blue eyes, "
              "her right hand resting on her knee.",
        video="A woman in a purple fleece crouches and holds out her open right hand; a husky with blue eyes "
              "lifts its front paw and places it in her palm, and she gently shakes it.",
        subject=1, object=2, action="shakes the paw of {2}", passive="greeted",
        before="the hand of {1}: rest on her knee",
        steps=["{1}: hold out an open hand to {2}", "the hand of {1}: hold the paw of {2}",
               "{1}: move the paw of {2} up and down", "{1}: release the paw of {2}"],
        outcome="{2}: sit in front of {1}",
        response=dict(
            subject=2, object=1, action="gives its paw to {1}", passive="given a paw",
            before="{2}: sit with both front paws on the snow",
            steps=["{2}: look at the hand of {1}", "{2}: lift a front paw", "the paw of {2}: move toward {1}",
                   "the paw of {2}: rest in the hand of {1}"],
            outcome="{2}: lower the paw to the snow",
        ),
        contact="medium", motion="low",
    ),
    dict(
        id="ani-social-06", type="social", pairing="human-animal",
        objects=[("girl", "girl in a cowboy hat"), ("pony", "small black pony")],
        image="A sunny pasture. A small black pony grazes; a girl in a cowboy hat stands next to its "
              "shoulder with her arms at her sides.",
        video="A girl in a cowboy hat standing beside a small black pony throws her arms around its neck and "
              "hugs it, resting her cheek against its mane while the pony stands calmly.",
        subject=1, object=2, action="hugs the neck of {2}", passive="hugged",
        before="{1}: stand beside {2} with her arms at her sides",
        steps=["{1}: raise her arms", "the arms of {1}: wrap around the neck of {2}",
               "the cheek of {1}: rest against the mane of {2}", "{2}: stand still"],
        outcome="{1}: hold the neck of {2}",
        contact="high", motion="low",
    ),
]
